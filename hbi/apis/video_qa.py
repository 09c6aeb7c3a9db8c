"""Ask questions about one's own video with a trained VideoQA model."""

import os.path as osp
from typing import List, Optional, Sequence, Tuple, Union

import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import init_default_scope

from hbi.datasets.annotation_io import read_json
from hbi.models.retrievers import load_model_checkpoint
from hbi.registry import MODELS, TRANSFORMS

__all__ = ['VideoQuestionAnswering']

Answers = List[Tuple[str, float]]


def _without_frame_cache(cfgs: Sequence[dict]) -> List[dict]:
    """The pipeline with every ``FrameCache`` replaced by its loader (a
    user's video is decoded once; nothing is written beside it)."""
    return [
        cfg['loader'] if cfg.get('type') == 'FrameCache' else cfg
        for cfg in cfgs
    ]


def _question_inputs(text_pipeline: Sequence[dict], pack: dict) -> List[dict]:
    """The text pipeline and packing of the question alone: the decoder
    targets of the true answer (``TokenizeCaptionForDecoder``) are left
    out, since there is no answer to tokenise."""
    steps = [
        cfg
        for cfg in text_pipeline
        if cfg.get('type') != 'TokenizeCaptionForDecoder'
    ]
    return steps + [dict(pack, text_keys=('input_ids', 'attention_mask'))]


class VideoQuestionAnswering:
    """Answer free questions about any video file.

    The video is decoded and encoded once (test-time pipeline of the
    config's test set); each question is encoded and answered against it.

    Args:
        model: A VideoQA model (``encode_video``, ``encode_text``,
            ``answer``) in eval mode.
        labels (Sequence[str]): The answer of each class index.
        video_pipeline (Sequence[dict]): Test-time video transforms.
        text_pipeline (Sequence[dict]): Text transforms.
        pack (dict, optional): Packing transform. Defaults to
            ``PackVideoTextInputs``.
    """

    def __init__(
        self,
        model,
        labels: Sequence[str],
        video_pipeline: Sequence[dict],
        text_pipeline: Sequence[dict],
        pack: Optional[dict] = None,
    ) -> None:
        self.model = model.eval()
        self.labels = list(labels)
        pack = pack or dict(type='PackVideoTextInputs')
        self.video_pipeline = Compose(
            [TRANSFORMS.build(c) for c in _without_frame_cache(video_pipeline)]
        )
        self.text_pipeline = Compose(
            [
                TRANSFORMS.build(c)
                for c in _question_inputs(text_pipeline, pack)
            ]
        )

    @classmethod
    def from_config(
        cls,
        config: Union[str, Config],
        checkpoint: Optional[str],
        device: str = 'cpu',
        ans2label_file: Optional[str] = None,
    ) -> 'VideoQuestionAnswering':
        """Build the model from ``config`` (weights from ``checkpoint``, any
        layout :func:`load_model_checkpoint` reads) with the answer
        vocabulary and pipelines of ``config.test_dataloader.dataset``
        (or ``ans2label_file``).

        Raises:
            ValueError: If the vocabulary does not hold the indices
                0..num_answers-1.
        """
        cfg = Config.fromfile(config) if isinstance(config, str) else config
        init_default_scope(cfg.get('default_scope', 'hbi'))
        model = MODELS.build(cfg.model)
        if checkpoint:
            load_model_checkpoint(model, checkpoint)
        data = cfg.test_dataloader.dataset
        if ans2label_file is None:
            ans2label_file = data.ans2label_file
            if data.get('data_root') and not osp.isabs(ans2label_file):
                ans2label_file = osp.join(data.data_root, ans2label_file)
        ans2label = read_json(ans2label_file)
        labels = {index: answer for answer, index in ans2label.items()}
        num_answers = getattr(model, 'num_answers', None) or len(labels)
        if sorted(labels) != list(range(num_answers)):
            raise ValueError(
                f'{ans2label_file}: expected the indices 0..{num_answers - 1}'
                f" of the model's {num_answers} answers, got {len(labels)} "
                'answers'
            )
        return cls(
            model.to(device),
            [labels[i] for i in range(num_answers)],
            data.video_pipeline,
            data.text_pipeline,
            data.get('pack'),
        )

    @torch.no_grad()
    def ask(
        self, video_path: str, questions: Sequence[str], top_k: int = 5
    ) -> List[Answers]:
        """The ``top_k`` answers (with softmax scores) of each question.

        Args:
            video_path (str): A video file.
            questions (Sequence[str]): Free-form questions.
            top_k (int): Answers per question. Defaults to 5.

        Returns:
            list[list[tuple[str, float]]]: Per question, ``(answer,
            probability)`` from the most likely down (for a model that only
            generates answers, its answer with probability nan).

        Raises:
            FileNotFoundError: If ``video_path`` is not a file.
        """
        if not osp.isfile(video_path):
            raise FileNotFoundError(f'video not found: {video_path}')
        decoded = self.video_pipeline(
            dict(
                video_path=video_path,
                video_id=osp.splitext(osp.basename(video_path))[0],
                start=None,
                end=None,
                video_index=0,
                item_modality='pair',
            )
        )
        items = [
            self.text_pipeline(dict(decoded, caption=question, text_index=i))
            for i, question in enumerate(questions)
        ]
        inputs = self.model.data_preprocessor(pseudo_collate(items), False)[
            'inputs'
        ]
        video = self.model.encode_video(
            inputs['frames'][:1], inputs['frame_mask'][:1]
        )
        video = {
            k: v.expand(len(items), *v.shape[1:]) for k, v in video.items()
        }
        text = self.model.encode_text(
            inputs['input_ids'], inputs['attention_mask']
        )
        out = self.model.answer(text, video)
        if 'answer_logits' not in out:  # a model that only generates
            return [[(answer, float('nan'))] for answer in out['answer_text']]
        logits = out['answer_logits']
        k = min(top_k, logits.shape[-1])
        scores, indices = logits.float().softmax(-1).topk(k, dim=-1)
        return [
            [(self.labels[i], float(s)) for i, s in zip(row_i, row_s)]
            for row_i, row_s in zip(indices.tolist(), scores.tolist())
        ]
