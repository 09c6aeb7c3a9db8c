"""Pack an item's tensors into ``inputs`` and its meta into a data sample."""

from typing import Literal, Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from hbi.registry import TRANSFORMS
from hbi.structures.video_text_data_sample import VideoTextDataSample

Modality = Literal['pair', 'text', 'video']
#: Which input groups each item modality carries.
MODALITY_GROUPS: dict[str, tuple[str, ...]] = {
    'pair': ('video', 'text'),
    'text': ('text',),
    'video': ('video',),
}


@TRANSFORMS.register_module()
class PackVideoTextInputs(BaseTransform):
    """Put the model inputs in ``inputs`` and the meta info in a data sample.

    Which inputs are packed is decided by ``item_modality`` (set by the
    dataset), from explicit key lists: video → ``frames``/``frame_mask``
    built from ``imgs``; text → ``text_keys`` (``input_ids``,
    ``attention_mask``). Frames stay uint8: normalisation by CLIP mean/std
    is done by the model's data preprocessor.

    **Required Keys:** ``item_modality``; ``imgs`` (list of HxWx3 uint8, all
    the same size) for video; ``text_keys`` for text; ``meta_keys`` present
    in the results

    **Optional Keys:** ``data_keys`` (e.g. ``gt_answer``, ``gt_captions``),
    set as data fields of the sample when present

    **Added Keys:** ``inputs`` (dict of tensors), ``data_samples``
    (:class:`VideoTextDataSample`); all other keys are dropped.

    Args:
        max_frames (int): Frames are zero-padded to this many (Lv).
            Defaults to 12.
        text_keys (Sequence[str]): Text inputs copied as tensors. Defaults to
            ``('input_ids', 'attention_mask')``.
        meta_keys (Sequence[str]): Meta info of the data sample, taken when
            present. Defaults to ``('video_id', 'video_index', 'text_index',
            'caption', 'num_frames')``.
        data_keys (Sequence[str]): Ground-truth kept as data fields of the
            data sample (not meta info), taken when present. Defaults to
            ``('gt_answer', 'gt_captions')``.

    Shape:
        - frames: [max_frames, 3, H, W] uint8 (zero after ``num_frames``).
        - frame_mask: [max_frames] int64, 1 on real frames.
        - input_ids, attention_mask: [Lt] int64.
    """

    def __init__(
        self,
        max_frames: int = 12,
        text_keys: Sequence[str] = ('input_ids', 'attention_mask'),
        meta_keys: Sequence[str] = (
            'video_id',
            'video_index',
            'text_index',
            'caption',
            'num_frames',
        ),
        data_keys: Sequence[str] = ('gt_answer', 'gt_captions'),
    ) -> None:
        self.max_frames = max_frames
        self.text_keys = tuple(text_keys)
        self.meta_keys = tuple(meta_keys)
        self.data_keys = tuple(data_keys)

    def _pack_video(self, results: dict) -> dict[str, torch.Tensor]:
        imgs, video_id = results['imgs'], results.get('video_id')
        if not 0 < len(imgs) <= self.max_frames:
            raise ValueError(
                f'video {video_id!r}: {len(imgs)} frames, '
                f'expected 1..{self.max_frames}'
            )
        shapes = {img.shape for img in imgs}
        if len(shapes) != 1:
            raise ValueError(
                f'video {video_id!r}: frames of different '
                f'shapes {sorted(shapes)}; crop them to one size '
                '(e.g. mmaction.CenterCrop) before packing'
            )
        clip = torch.from_numpy(np.ascontiguousarray(np.stack(imgs)))
        if clip.dtype != torch.uint8 or clip.ndim != 4 or clip.shape[-1] != 3:
            raise ValueError(
                f'video {video_id!r}: expected HxWx3 uint8 '
                f'frames, got {tuple(clip.shape[1:])} '
                f'{clip.dtype}'
            )
        num, height, width = clip.shape[:3]
        frames = torch.zeros(
            self.max_frames, 3, height, width, dtype=torch.uint8
        )
        frames[:num] = clip.permute(0, 3, 1, 2)
        frame_mask = torch.zeros(self.max_frames, dtype=torch.long)
        frame_mask[:num] = 1
        return dict(frames=frames, frame_mask=frame_mask)

    def _pack_text(self, results: dict) -> dict[str, torch.Tensor]:
        return {
            key: torch.as_tensor(np.asarray(results[key]), dtype=torch.long)
            for key in self.text_keys
        }

    def transform(self, results: dict) -> dict:
        modality = results['item_modality']
        if modality not in MODALITY_GROUPS:
            raise ValueError(
                f'item_modality must be one of '
                f'{sorted(MODALITY_GROUPS)}, got {modality!r}'
            )
        inputs: dict[str, torch.Tensor] = {}
        groups = MODALITY_GROUPS[modality]
        if 'video' in groups:
            inputs.update(self._pack_video(results))
        if 'text' in groups:
            inputs.update(self._pack_text(results))
        sample = VideoTextDataSample(
            metainfo={
                key: results[key] for key in self.meta_keys if key in results
            }
        )
        for key in self.data_keys:
            if key in results:
                sample.set_field(results[key], key, field_type='data')
        return dict(inputs=inputs, data_samples=sample)

    def __repr__(self) -> str:
        return (
            f'{self.__class__.__name__}(max_frames={self.max_frames}, '
            f'text_keys={self.text_keys}, meta_keys={self.meta_keys}, '
            f'data_keys={self.data_keys})'
        )
