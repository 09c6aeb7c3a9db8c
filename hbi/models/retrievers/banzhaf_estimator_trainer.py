"""Training the Banzhaf estimator (teacher) against Monte-Carlo labels (A7/A8).

The release trains ``banzhafteacher`` first, with CLIP and everything else
frozen: the estimator network (A7) reads the entity-level positive-pair matrix
A_bb (token-frame cosines) and regresses, by MSE, the Monte-Carlo Banzhaf
Interaction I(i, j) of the word-frame game (A8, 100 samples per pair). The
trained estimator is then exported (``tools/model_converters/
export_banzhaf_estimator.py``) as the file HBI's head loads as
``teacher_checkpoint``.

Label scale: the game is played on ``scale * A`` (1000 as released). The
game's value is positively homogeneous in A (weighted maxima), so I scales
linearly with ``scale``; labels are the scaled I itself, with no further
normalisation, because the head's distillation (A9) takes a softmax of the
teacher's output and the release trains the teacher on these raw values.
The estimator's input is the unscaled A (what the head feeds it).
"""

import contextlib
from typing import Dict, Optional, Tuple

import numpy as np
import torch
from torch import Tensor

from hbi.models.backbones.openai_clip_conversion import load_state_dict_checked
from hbi.models.functional.banzhaf import banzhaf_interaction
from hbi.models.layers import BanzhafEstimator, positive_pair_interaction
from hbi.registry import MODELS
from hbi.utils.checkpoint_files import load_checkpoint_file
from hbi.utils.label_cache import (
    BanzhafLabelCache,
    label_key,
    seed_from_key,
    state_dict_fingerprint,
)
from hbi.utils.pretrained_files import weights_from_checkpoint

from .base import BaseVideoTextModel, SampleList

#: Bumped when the label computation changes, so old cache files are unused.
LABEL_VERSION = 'hbi-A8-monte-carlo-v1'


@MODELS.register_module()
class BanzhafEstimatorTrainer(BaseVideoTextModel):
    """A frozen retriever plays the game; a :class:`BanzhafEstimator` learns
    it.

    Entity-level inputs of each pair: the text tower's token embeddings and
    the temporal module's frame embeddings (exactly the tokens HBI's head
    receives), their masks, and the weight logits of the retriever's head if
    it has them (HBI's ``entity_weight_logits``); a head without token
    weights (CLIP4Clip meanP) plays with uniform weights (zero logits). The
    retriever is frozen and always in eval mode (no dropout); only
    ``estimator`` trains.

    Labels: ``banzhaf_interaction(A, ..., num_samples, scale)`` per pair, with
    a CPU generator seeded from the pair's cache key, so a label does not
    depend on the batch it came in. With ``label_cache_dir`` they are stored
    on disk (:class:`hbi.utils.label_cache.BanzhafLabelCache`), keyed by the
    video id, text index, caption, frame indices (meta ``frame_inds`` when
    packed), real token ids, the retriever's state-dict fingerprint,
    ``num_samples``, ``scale`` and ``seed``.

    Args:
        retriever (dict): Config of the frozen ``VideoTextRetriever``.
        retriever_checkpoint (str, optional): Its weights (an mmengine
            checkpoint or a plain state dict, names as the retriever's;
            checked: every key must match). None keeps the config's own
            initialisation (e.g. OpenAI CLIP through the towers'
            ``pretrained``). Defaults to None.
        estimator_channels (int): Width of the estimator. Defaults to 64.
        num_samples (int, optional): Monte-Carlo coalitions per pair; None
            for exact labels (small games only). Defaults to 100 (released).
        scale (float): A is multiplied by it before the game. Defaults to
            1000 (released).
        seed (int): Part of every label key (and so of every MC seed).
            Defaults to 0.
        label_cache_dir (str, optional): Folder of the label cache; None
            recomputes labels every step. Defaults to None.
        label_dtype (str): ``'float32'`` or ``'float16'`` storage; labels are
            rounded to it even without a cache. Defaults to ``'float32'``.
        data_preprocessor (dict, optional): Defaults to the retriever's.
        init_cfg (dict, optional): Defaults to None.

    Shape:
        - inputs: ``input_ids``/``attention_mask`` (B, Lt), ``frames``
          (B, T, 3, H, W), ``frame_mask`` (B, T).
        - pairs, labels, estimator output: (B, Lt, Lv).
    """

    def __init__(
        self,
        retriever: dict,
        retriever_checkpoint: Optional[str] = None,
        estimator_channels: int = 64,
        num_samples: Optional[int] = 100,
        scale: float = 1000.0,
        seed: int = 0,
        label_cache_dir: Optional[str] = None,
        label_dtype: str = 'float32',
        data_preprocessor: Optional[dict] = None,
        init_cfg: Optional[dict] = None,
    ) -> None:
        if data_preprocessor is None:
            data_preprocessor = retriever.get('data_preprocessor')
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg
        )
        # With a checkpoint (loaded, checked, below) the retriever's own
        # pretrained files are not read.
        with (
            weights_from_checkpoint()
            if retriever_checkpoint
            else contextlib.nullcontext()
        ):
            self.retriever = MODELS.build(retriever)
        self.retriever.requires_grad_(False)
        self.estimator = BanzhafEstimator(estimator_channels)
        self.retriever_checkpoint = retriever_checkpoint
        self.num_samples = num_samples
        self.scale = float(scale)
        self.seed = int(seed)
        self.label_dtype = {'float32': np.float32, 'float16': np.float16}[
            label_dtype
        ]
        self.label_cache = (
            BanzhafLabelCache(label_cache_dir, label_dtype)
            if label_cache_dir
            else None
        )
        self._fingerprint: Optional[str] = None
        self._captured: Dict[str, Tensor] = {}
        self.retriever.text_encoder.register_forward_hook(
            self._capture('text_tokens')
        )
        self.retriever.temporal.register_forward_hook(
            self._capture('video_tokens')
        )
        self._load_retriever()
        self.retriever.eval()

    # ------------------------------------------------------------ weights
    def _capture(self, name: str):
        def hook(module, args, output):
            self._captured[name] = output

        return hook

    def _load_retriever(self) -> None:
        self._fingerprint = None
        if not self.retriever_checkpoint:
            return
        checkpoint = load_checkpoint_file(self.retriever_checkpoint)
        state = checkpoint.get('state_dict', checkpoint)
        state = {
            (k[7:] if k.startswith('module.') else k): v
            for k, v in state.items()
        }
        load_state_dict_checked(
            self.retriever, state, self.retriever_checkpoint
        )

    def init_weights(self) -> None:
        """Initialise, then (re)load ``retriever_checkpoint`` on top."""
        super().init_weights()
        self._load_retriever()

    def _load_from_state_dict(self, *args, **kwargs) -> None:
        self._fingerprint = None  # the frozen weights may change
        super()._load_from_state_dict(*args, **kwargs)

    def train(self, mode: bool = True) -> 'BanzhafEstimatorTrainer':
        """Set the mode; the frozen retriever always stays in eval mode."""
        super().train(mode)
        self.retriever.eval()
        return self

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the frozen retriever's state dict (computed once)."""
        if self._fingerprint is None:
            self._fingerprint = state_dict_fingerprint(self.retriever)
        return self._fingerprint

    # ----------------------------------------------------------- features
    @torch.no_grad()
    def entity_inputs(self, inputs: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """The frozen retriever's entity-level game of each pair.

        Returns:
            dict[str, Tensor]: ``pairs`` A_bb (B, Lt, Lv), ``text_mask``
            (B, Lt), ``video_mask`` (B, Lv), ``text_weight_logits``,
            ``video_weight_logits``, ``input_ids`` (B, Lt) (part of the
            label keys), and the per-level head features
            ``text``/``video`` (dicts, empty for a head without levels).
        """
        self._captured.clear()
        text = self.retriever.encode_text(
            inputs['input_ids'], inputs['attention_mask']
        )
        video = self.retriever.encode_video(
            inputs['frames'], inputs['frame_mask']
        )
        t_tokens = self._captured.pop('text_tokens')
        v_tokens = self._captured.pop('video_tokens')
        t_mask = inputs['attention_mask'].to(t_tokens.dtype)
        v_mask = inputs['frame_mask'].to(v_tokens.dtype)
        t_logits = text.get(
            'entity_weight_logits', t_tokens.new_zeros(t_mask.shape)
        )
        v_logits = video.get(
            'entity_weight_logits', v_tokens.new_zeros(v_mask.shape)
        )
        return dict(
            pairs=positive_pair_interaction(
                t_tokens, t_mask, v_tokens, v_mask
            ),
            text_mask=t_mask,
            video_mask=v_mask,
            input_ids=inputs['input_ids'],
            text_weight_logits=t_logits,
            video_weight_logits=v_logits,
            text=text if 'entity_tokens' in text else {},
            video=video if 'entity_tokens' in video else {},
        )

    def _pair_key(self, game: Dict[str, Tensor], index: int, sample) -> str:
        meta = sample.metainfo if sample is not None else {}
        if self.label_cache is not None and 'video_id' not in meta:
            raise ValueError(
                'BanzhafEstimatorTrainer: label_cache_dir is set '
                'but the data samples carry no video_id meta; '
                'pack video_id (and frame_inds) or disable the '
                'cache'
            )
        ids = game['input_ids'][index][game['text_mask'][index] > 0]
        return label_key(
            version=LABEL_VERSION,
            video_id=meta.get('video_id'),
            text_index=meta.get('text_index'),
            caption=meta.get('caption'),
            frame_inds=meta.get('frame_inds'),
            num_frames=int(game['video_mask'][index].sum()),
            input_ids=ids,
            model=self.fingerprint,
            num_samples=self.num_samples,
            scale=self.scale,
            seed=self.seed,
        )

    def monte_carlo_labels(
        self, game: Dict[str, Tensor], data_samples: Optional[SampleList]
    ) -> Tensor:
        """Banzhaf labels I (B, Lt, Lv) of the games, from the cache or
        computed pair by pair with a generator seeded from the pair's key."""
        labels = []
        for b in range(game['pairs'].shape[0]):
            sample = data_samples[b] if data_samples else None
            key = self._pair_key(game, b, sample)

            def compute(b: int = b, key: str = key) -> np.ndarray:
                generator = torch.Generator().manual_seed(seed_from_key(key))
                one = slice(b, b + 1)
                return (
                    banzhaf_interaction(
                        game['pairs'][one].float(),
                        game['text_mask'][one],
                        game['video_mask'][one],
                        game['text_weight_logits'][one].float(),
                        game['video_weight_logits'][one].float(),
                        num_samples=self.num_samples,
                        scale=self.scale,
                        generator=generator,
                    )[0]
                    .cpu()
                    .numpy()
                )

            if self.label_cache is None:
                label = compute().astype(self.label_dtype)
            else:
                label = self.label_cache.get_or_compute(key, compute)
            if label.shape != tuple(game['pairs'].shape[1:]):
                raise ValueError(
                    f'BanzhafEstimatorTrainer: cached label of '
                    f'key {key} has shape {label.shape}, '
                    f'expected {tuple(game["pairs"].shape[1:])}'
                )
            labels.append(torch.from_numpy(label.astype(np.float32)))
        return torch.stack(labels).to(game['pairs'].device)

    def _game_and_labels(
        self, inputs: Dict[str, Tensor], data_samples: Optional[SampleList]
    ) -> Tuple[Dict[str, Tensor], Tensor]:
        game = self.entity_inputs(inputs)
        return game, self.monte_carlo_labels(game, data_samples)

    # ---------------------------------------------------------- the modes
    def extract_feat(self, inputs: Dict[str, Tensor]) -> dict:
        """Pair matrices and the estimator's maps (no labels)."""
        game = self.entity_inputs(inputs)
        return dict(
            pairs=game['pairs'], estimate=self.estimator(game['pairs'])
        )

    def loss(
        self,
        inputs: Dict[str, Tensor],
        data_samples: Optional[SampleList] = None,
    ) -> Dict[str, Tensor]:
        """``loss_banzhaf_mse``: MSE over the real (word, frame) entries."""
        game, labels = self._game_and_labels(inputs, data_samples)
        estimate = self.estimator(game['pairs'])
        mask = game['text_mask'].unsqueeze(-1) * game['video_mask'].unsqueeze(
            -2
        )
        error = (estimate - labels).square() * mask
        return dict(loss_banzhaf_mse=error.sum() / mask.sum().clamp(min=1))

    def predict(
        self,
        inputs: Dict[str, Tensor],
        data_samples: Optional[SampleList] = None,
    ) -> SampleList:
        """Per sample ``pred_banzhaf`` (estimator) and ``gt_banzhaf``
        (Monte-Carlo), both (n_words, n_frames) over the real entries."""
        if not data_samples:
            raise ValueError(
                'BanzhafEstimatorTrainer.predict needs the data '
                'samples (one per pair)'
            )
        game, labels = self._game_and_labels(inputs, data_samples)
        estimate = self.estimator(game['pairs'])
        for b, sample in enumerate(data_samples):
            rows = game['text_mask'][b] > 0
            cols = game['video_mask'][b] > 0
            sample.set_field(
                estimate[b][rows][:, cols].detach().cpu(), 'pred_banzhaf'
            )
            sample.set_field(labels[b][rows][:, cols].cpu(), 'gt_banzhaf')
        return data_samples
