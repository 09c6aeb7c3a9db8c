"""The released HBI QA model's per-level answer classifiers and their mix
(``docs/en/methods/hbi_qa.md`` Q3-Q5)."""

from typing import Dict, Optional, Sequence

import torch.nn.functional as F
from mmengine.model import BaseModule, normal_init
from torch import Tensor, nn

from hbi.registry import MODELS
from hbi.structures import stack_gt_answers

from ..layers.pooled_answer_classifier import PooledAnswerClassifier
from ..losses.level_distillation_loss import LevelDistillationLoss
from .hierarchical_banzhaf_head import LEVELS

Features = Dict[str, Tensor]


@MODELS.register_module()
class LevelAnswerHead(BaseModule):
    """One :class:`PooledAnswerClassifier` per HBI level, mixed by ``rate``.

    Reads the level features of :class:`HierarchicalBanzhafHead`
    (``'{level}_tokens'`` and ``'entity_mask'``) of questions and of their
    videos, paired row by row. The entity level pools with the masks (the
    release's quirk: padded tokens are zeroed but still take softmax weight,
    unless ``mask_weights``); the merged levels have no padding.

    Args:
        embed_dim (int): Token width D. Defaults to 512.
        num_answers (int): Answer vocabulary size. Defaults to 1500.
        num_levels (int): 1-3 levels (entity, action, event). Defaults to 3.
        rate (Sequence[float]): Test-time weight of each level's logits.
            Defaults to (0.4, 0.4, 0.2) (released).
        proj_dim (int, optional): Projection width. Defaults to 4D.
        dropout (float): Dropout before each classifier. Defaults to 0.1.
        kl (float): Weight of the self-distillation of the entity level's
            answer distribution into the other levels. Defaults to 0.2.
        mask_weights (bool): Softmax of the pooling weights over real tokens
            only (a fix of the release's quirk). Defaults to False.
        init_cfg (dict, optional): mmengine init config. Defaults to None.

    Shape:
        - text/video features: ``'{level}_tokens'`` (B, L_level, D),
          ``'entity_mask'`` (B, L).
        - forward: ``'{level}_answer_logits'`` and ``'answer_logits'``
          (B, num_answers).
    """

    def __init__(
        self,
        embed_dim: int = 512,
        num_answers: int = 1500,
        num_levels: int = 3,
        rate: Sequence[float] = (0.4, 0.4, 0.2),
        proj_dim: Optional[int] = None,
        dropout: float = 0.1,
        kl: float = 0.2,
        mask_weights: bool = False,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_levels not in (1, 2, 3) or len(rate) < num_levels:
            raise ValueError(
                'LevelAnswerHead: num_levels must be 1, 2 or 3 with one '
                f'rate per level, got {num_levels} and {tuple(rate)}'
            )
        if num_answers < 1:
            raise ValueError(
                f'LevelAnswerHead: num_answers must be >= 1, got {num_answers}'
            )
        self.levels = LEVELS[:num_levels]
        self.num_answers = num_answers
        self.rate = tuple(float(r) for r in rate[:num_levels])
        self.classifiers = nn.ModuleList(
            PooledAnswerClassifier(
                embed_dim, num_answers, proj_dim, dropout, mask_weights
            )
            for _ in self.levels
        )
        # The release's init: Linear N(0, 0.02), zero bias.
        for module in self.modules():
            if isinstance(module, nn.Linear):
                normal_init(module, std=0.02, bias=0.0)
        self.self_distill_loss = LevelDistillationLoss(
            loss_weight=kl, symmetric=False
        )

    def forward(self, text: Features, video: Features) -> Dict[str, Tensor]:
        """Answer logits of each question about its own video.

        Args:
            text (dict[str, Tensor]): Question features, one row per
                question.
            video (dict[str, Tensor]): Features of each question's video
                (row b belongs to question b).

        Returns:
            dict[str, Tensor]: ``'{level}_answer_logits'`` per level and the
            mix ``'answer_logits'`` = sum of ``rate[l]`` times them.
        """
        out = {}
        for level, classifier in zip(self.levels, self.classifiers):
            entity = level == 'entity'
            out[f'{level}_answer_logits'] = classifier(
                text[f'{level}_tokens'],
                text.get('entity_mask') if entity else None,
                video[f'{level}_tokens'],
                video.get('entity_mask') if entity else None,
            )
        out['answer_logits'] = sum(
            r * out[f'{level}_answer_logits']
            for r, level in zip(self.rate, self.levels)
        )
        return out

    def loss(
        self, text: Features, video: Features, gt_answer: Tensor
    ) -> Dict[str, Tensor]:
        """Cross-entropy per level plus the self-distillation.

        Args:
            text, video (dict[str, Tensor]): As :meth:`forward`.
            gt_answer (Tensor): Answer index per question, shape (B,).

        Returns:
            dict[str, Tensor]: ``loss_answer_{level}`` and, for the merged
            levels with ``kl`` != 0, ``loss_answer_distill_{level}``.

        Raises:
            ValueError: If an answer is outside ``[0, num_answers)`` (a
                training set must leave out-of-vocabulary answers out:
                ``drop_unknown_answers=True``).
        """
        gt_answer = gt_answer.long()
        bad = (gt_answer < 0) | (gt_answer >= self.num_answers)
        if bool(bad.any()):
            raise ValueError(
                'LevelAnswerHead.loss: answer indices must be in '
                f'[0, {self.num_answers}), got '
                f'{gt_answer[bad][:5].tolist()}; train with '
                'drop_unknown_answers=True and a vocabulary of num_answers '
                'entries'
            )
        logits = self(text, video)
        losses = {
            f'loss_answer_{level}': F.cross_entropy(
                logits[f'{level}_answer_logits'], gt_answer
            )
            for level in self.levels
        }
        if self.self_distill_loss.loss_weight:
            for level in self.levels[1:]:
                losses[f'loss_answer_distill_{level}'] = (
                    self.self_distill_loss(
                        logits[f'{level}_answer_logits'],
                        logits['entity_answer_logits'],
                    )
                )
        return losses


@MODELS.register_module()
class LevelAnswerTaskHead(LevelAnswerHead):
    """:class:`LevelAnswerHead` as a task head of ``VideoTextEncoderDecoder``
    (the released per-level classifiers, the third VideoQA option of
    docs/en/methods/hbi_v2.md B2): it reads the level features of the
    question and of the video, not the decoder.

    Args:
        score_weight (float): Weight of its log-probabilities in the model's
            answer mix. Defaults to 1.0.
        **kwargs: Arguments of :class:`LevelAnswerHead`.
    """

    def __init__(self, score_weight: float = 1.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.score_weight = score_weight

    def answer(self, model, text: Features, video: Features) -> Dict:
        """``answer_logits`` (the level mix) of question b about video b."""
        return dict(answer_logits=self(text, video)['answer_logits'])

    def loss(
        self,
        model,
        inputs: Dict[str, Tensor],
        data_samples: Optional[Sequence],
        features: Dict[str, Features],
    ) -> Dict[str, Tensor]:
        """:meth:`LevelAnswerHead.loss` on the model's encoded batch."""
        gt = stack_gt_answers(data_samples, inputs['input_ids'].device)
        return super().loss(features['text'], features['video'], gt)
