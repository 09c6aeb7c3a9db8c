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
    set as data fields of the sample when present; ``side_keys`` (text side
    inputs of the extra losses, e.g. ``content_word_mask``), packed as
    tensors when present; ``segment_frame_counts`` (then the last frames of
    ``imgs`` are the segments' frames, see ``LoadVideoFrames``) and
    ``segment_input_ids`` / ``segment_attention_mask``, packed as
    ``segment_frames`` / ``segment_frame_mask`` / ``segment_mask`` and the
    sentence ids (a variable number of segments per item: the data
    preprocessor pads them)

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
        side_keys (Sequence[str]): Text side inputs packed when present.
            Defaults to ``('content_word_mask', 'masked_attention_mask')``.

    Shape:
        - frames: [max_frames, 3, H, W] uint8 (zero after ``num_frames``).
        - frame_mask: [max_frames] int64, 1 on real frames.
        - input_ids, attention_mask: [Lt] int64.
        - segment_frames: [S, Ts, 3, H, W] uint8 (Ts: the most frames of a
          segment of this item); segment_frame_mask: [S, Ts];
          segment_mask: [S]; segment_input_ids, segment_attention_mask:
          [S, Lt].
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
        side_keys: Sequence[str] = (
            'content_word_mask',
            'masked_attention_mask',
        ),
    ) -> None:
        self.max_frames = max_frames
        self.text_keys = tuple(text_keys)
        self.meta_keys = tuple(meta_keys)
        self.data_keys = tuple(data_keys)
        self.side_keys = tuple(side_keys)

    @staticmethod
    def _stack_frames(imgs: list, video_id) -> torch.Tensor:
        """[N, 3, H, W] uint8 from N HxWx3 frames of one size."""
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
        return clip.permute(0, 3, 1, 2)

    def _pack_segments(
        self, imgs: list, counts: Sequence[int], results: dict
    ) -> dict[str, torch.Tensor]:
        """Segment frames (the last ``sum(counts)`` of ``imgs``), masks
        and sentence ids."""
        height, width = imgs[0].shape[:2]
        frames = torch.zeros(
            len(counts),
            max(counts, default=0),
            3,
            height,
            width,
            dtype=torch.uint8,
        )
        frame_mask = torch.zeros(frames.shape[:2], dtype=torch.long)
        start = len(imgs) - sum(counts)
        for i, count in enumerate(counts):
            if count:
                frames[i, :count] = self._stack_frames(
                    imgs[start : start + count], results.get('video_id')
                )
            frame_mask[i, :count] = 1
            start += count
        out = dict(
            segment_frames=frames,
            segment_frame_mask=frame_mask,
            segment_mask=torch.ones(len(counts), dtype=torch.long),
        )
        for key in ('segment_input_ids', 'segment_attention_mask'):
            if key in results:
                out[key] = torch.as_tensor(results[key], dtype=torch.long)
        return out

    def _pack_video(self, results: dict) -> dict[str, torch.Tensor]:
        imgs, video_id = results['imgs'], results.get('video_id')
        counts = results.get('segment_frame_counts')
        extra = {}
        if counts is not None:
            extra = self._pack_segments(imgs, counts, results)
            imgs = imgs[: len(imgs) - sum(counts)]
        if not 0 < len(imgs) <= self.max_frames:
            raise ValueError(
                f'video {video_id!r}: {len(imgs)} frames, '
                f'expected 1..{self.max_frames}'
            )
        clip = self._stack_frames(imgs, video_id)
        num, height, width = clip.shape[0], *clip.shape[2:]
        frames = torch.zeros(
            self.max_frames, 3, height, width, dtype=torch.uint8
        )
        frames[:num] = clip
        frame_mask = torch.zeros(self.max_frames, dtype=torch.long)
        frame_mask[:num] = 1
        return dict(frames=frames, frame_mask=frame_mask, **extra)

    def _pack_text(self, results: dict) -> dict[str, torch.Tensor]:
        keys = self.text_keys + tuple(
            key for key in self.side_keys if key in results
        )
        return {
            key: torch.as_tensor(np.asarray(results[key]), dtype=torch.long)
            for key in keys
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
