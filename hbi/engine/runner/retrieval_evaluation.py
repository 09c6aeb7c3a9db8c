"""The body shared by the retrieval validation and test loops.

Each text and each video of the evaluation set is encoded exactly once
(text-only and video-only passes, so a video with 20 captions is decoded
once). The ``N_t x N_v`` matrix is split across ranks by TEXT rows: every
rank holds all video features but only the text features of its own row
blocks, scores them against all videos block by block through
``model.similarity``, and rank 0 gathers the rows.

World-size independence: all work is cut on a grid that does not depend on
the number of ranks. Texts are cut into row blocks of ``text_block_size``
(block ``b`` goes to rank ``b % world``) and each block into encoder batches
of ``batch_size``; videos into batches of ``batch_size`` (batch ``b`` to rank
``b % world``); the matrix into ``text_block_size x block_size`` blocks. So a
single process and N processes run the same encoder batches and the same
similarity blocks on the same inputs, and the matrix is bitwise identical
(a different batch composition can change float results: BLAS picks kernels
by matrix size). No sampler pads, so no item is encoded twice.
"""

import math
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import numpy as np
import torch
from mmengine.dist import (
    all_gather_object,
    gather_object,
    get_rank,
    get_world_size,
    is_main_process,
)
from torch.utils.data import DataLoader, Sampler
from tqdm import tqdm

from hbi.utils.distributed import concat_tensors, map_tensors

Encoder = Callable[[Dict[str, torch.Tensor]], dict]


class BlockBatchSampler(Sampler):
    """Batches of the index blocks one rank owns, on a world-free grid.

    ``range(num_items)`` is cut into blocks of ``block_size``; block ``b``
    belongs to rank ``b % world_size``; each block is cut into batches of
    ``batch_size`` (the last batch of a block may be smaller). The batches
    of all ranks together are exactly the batches of ``world_size=1``, and
    every index appears once (nothing is padded).

    Args:
        num_items (int): Dataset length.
        block_size (int): Items per block (the unit given to a rank).
        batch_size (int): Items per batch within a block.
        rank (int): This rank. Defaults to the current rank.
        world_size (int): Number of ranks. Defaults to the current world.
    """

    def __init__(
        self,
        num_items: int,
        block_size: int,
        batch_size: int,
        rank: Optional[int] = None,
        world_size: Optional[int] = None,
    ) -> None:
        for name, value in (
            ('block_size', block_size),
            ('batch_size', batch_size),
        ):
            if not isinstance(value, int) or value < 1:
                raise ValueError(
                    f'BlockBatchSampler: `{name}` must be a '
                    f'positive int, got {value!r}'
                )
        self.num_items = num_items
        self.block_size, self.batch_size = block_size, batch_size
        self.rank = get_rank() if rank is None else rank
        self.world_size = (
            get_world_size() if world_size is None else world_size
        )
        if not 0 <= self.rank < self.world_size:
            raise ValueError(
                f'BlockBatchSampler: rank {self.rank} is not in '
                f'[0, {self.world_size})'
            )

    def blocks(self) -> List[Tuple[int, int]]:
        """``(start, stop)`` of the blocks of this rank, ascending."""
        starts = range(
            self.rank * self.block_size,
            self.num_items,
            self.world_size * self.block_size,
        )
        return [(s, min(s + self.block_size, self.num_items)) for s in starts]

    def __iter__(self) -> Iterator[List[int]]:
        for start, stop in self.blocks():
            for b in range(start, stop, self.batch_size):
                yield list(range(b, min(b + self.batch_size, stop)))

    def __len__(self) -> int:
        return sum(
            math.ceil((stop - start) / self.batch_size)
            for start, stop in self.blocks()
        )

    def num_owned(self) -> int:
        """Number of indices this rank yields."""
        return sum(stop - start for start, stop in self.blocks())


def _first_of_each_index(indices: np.ndarray) -> np.ndarray:
    """Positions that sort ``indices`` ascending, keeping the first
    occurrence of an index seen twice (a padding sampler's repeats)."""
    order = np.argsort(indices, kind='stable')
    ordered = indices[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    return order[first]


def _progress(desc: str, total: Optional[int], unit: str) -> tqdm:
    """A manually updated tqdm bar shown on rank 0 only, counting ``unit``
    with its rate; with several ranks it counts rank 0's share."""
    world = get_world_size()
    if world > 1:
        desc = f'{desc} (rank 0 share, {world} ranks)'
    return tqdm(
        desc=desc,
        total=total,
        unit=unit,
        unit_scale=True,
        disable=not is_main_process(),
        dynamic_ncols=True,
    )


@torch.no_grad()
def encode_items(
    model,
    loader: DataLoader,
    modality: str,
    fp16: bool = False,
    gather: bool = True,
) -> Tuple[np.ndarray, Optional[dict], np.ndarray]:
    """Encode every item of ``loader`` once, optionally gathered from all
    ranks.

    Args:
        model: the unwrapped model (``encode_text`` / ``encode_video``).
        loader: a loader over a text-only or video-only dataset view.
        modality (str): ``'text'`` or ``'video'``.
        fp16 (bool): autocast on CUDA.
        gather (bool): Gather all ranks' items (in index order, duplicates
            dropped) on every rank; if False, keep this rank's items only.

    Returns:
        tuple: item indices (sorted, unique), their features concatenated
        along dim 0 (on CPU; None if there is no item), and for texts the
        index of each text's video (for videos, the same indices again).
    """
    index_key = 'text_index' if modality == 'text' else 'video_index'
    device = next(model.parameters()).device
    indices, video_indices, feats = [], [], []
    sampler = loader.batch_sampler
    total = (
        sampler.num_owned() if isinstance(sampler, BlockBatchSampler) else None
    )
    progress = _progress(f'encode {modality}s', total, modality)
    for batch in loader:
        data = model.data_preprocessor(batch, False)
        inputs, samples = data['inputs'], data['data_samples']
        with torch.autocast(
            device.type, enabled=fp16 and device.type == 'cuda'
        ):
            if modality == 'text':
                out = model.encode_text(
                    inputs['input_ids'], inputs['attention_mask']
                )
            else:
                out = model.encode_video(
                    inputs['frames'], inputs['frame_mask']
                )
        feats.append(map_tensors(lambda t: t.float().cpu(), out))
        for sample in samples:
            indices.append(sample.metainfo[index_key])
            video_indices.append(sample.metainfo['video_index'])
        progress.update(len(samples))
    progress.close()
    # Host memory: the batches and their concatenation coexist only during
    # the concatenation, and nothing is copied again where nothing moves.
    local_feats = concat_tensors(feats) if feats else None
    del feats
    local = (
        np.asarray(indices, dtype=np.int64),
        np.asarray(video_indices, dtype=np.int64),
        local_feats,
    )
    parts = (
        all_gather_object(local)
        if gather and get_world_size() > 1
        else [local]
    )
    del local, local_feats
    all_indices = np.concatenate([p[0] for p in parts])
    all_video_indices = np.concatenate([p[1] for p in parts])
    present = [p[2] for p in parts if p[2] is not None]
    del parts
    if not present:
        return all_indices, None, all_indices.copy()
    keep = _first_of_each_index(all_indices)
    features = present[0] if len(present) == 1 else concat_tensors(present)
    del present
    if not np.array_equal(keep, np.arange(len(all_indices))):
        keep_t = torch.as_tensor(keep)
        features = map_tensors(lambda t: t[keep_t], features)
    return all_indices[keep], features, all_video_indices[keep]


def _rows(features: dict, start: int, stop: int, device) -> dict:
    return map_tensors(lambda x: x[start:stop].to(device), features)


@torch.no_grad()
def similarity_rows(
    model,
    text: Optional[dict],
    video: dict,
    row_blocks: List[Tuple[int, int]],
    num_videos: int,
    block_size: int = 1024,
    key: str = 'fused',
    rows_per_call: int = 2048,
) -> np.ndarray:
    """Score some text rows against all videos, block by block.

    Only one block of text features and one of video features are on the
    model's device at a time. Consecutive row blocks are scored together, up
    to ``rows_per_call`` rows: a head prepares the video side on every call
    (HBI: normalised, sorted, about 0.15 s for 2,990 videos on 2 CPU cores),
    and its interaction tiles internally, so bigger calls only save that.

    Args:
        model: Has ``similarity(text, video) -> {key: [nt, nv]}``.
        text (dict, optional): Features of this rank's texts (rows), None if
            it has none.
        video (dict): Features of all videos.
        row_blocks (list[tuple[int, int]]): ``(start, stop)`` rows of
            ``text`` per block; each is scored as one block of rows.
        num_videos (int): Number of videos (columns).
        block_size (int): Videos per block.
        key (str): Output of ``model.similarity`` to keep.
        rows_per_call (int): Most text rows of one ``similarity`` call
            (a single row block may be bigger). Defaults to 2048.

    Returns:
        np.ndarray: float32 similarities of the blocks' rows, in order.

    Shape:
        - output: :math:`(\\sum_b (stop_b - start_b), N_v)`.
    """
    device = next(model.parameters()).device
    num_rows = sum(stop - start for start, stop in row_blocks)
    sim = np.zeros((num_rows, num_videos), dtype=np.float32)
    progress = _progress('similarity', num_rows * num_videos, 'pair')
    offset = 0
    for start, stop in merge_row_blocks(row_blocks, rows_per_call):
        t = _rows(text, start, stop, device)
        for c in range(0, num_videos, block_size):
            v = _rows(video, c, c + block_size, device)
            block = (
                model.similarity(t, v, levels=(key,))[key]
                .float()
                .cpu()
                .numpy()
            )
            sim[offset : offset + block.shape[0], c : c + block.shape[1]] = (
                block
            )
            progress.update(block.size)
        offset += stop - start
    progress.close()
    return sim


def merge_row_blocks(
    row_blocks: List[Tuple[int, int]], max_rows: int
) -> List[Tuple[int, int]]:
    """Join consecutive ``(start, stop)`` blocks (a block's start is the
    previous stop) into blocks of at most ``max_rows`` rows; a block longer
    than that is kept whole."""
    merged: List[Tuple[int, int]] = []
    for start, stop in row_blocks:
        if (
            merged
            and merged[-1][1] == start
            and stop - merged[-1][0] <= max_rows
        ):
            merged[-1] = (merged[-1][0], stop)
        else:
            merged.append((start, stop))
    return merged


def similarity_matrix(
    model,
    text: dict,
    video: dict,
    num_texts: int,
    num_videos: int,
    block_size: int = 1024,
    key: str = 'fused',
) -> np.ndarray:
    """Fill the whole [N_t, N_v] matrix on this process in
    ``block_size x block_size`` blocks."""
    return similarity_rows(
        model,
        text,
        video,
        [
            (r, min(r + block_size, num_texts))
            for r in range(0, num_texts, block_size)
        ],
        num_videos,
        block_size,
        key,
    )


def gather_rows(
    indices: np.ndarray, rows: np.ndarray, num_rows: int
) -> Optional[np.ndarray]:
    """Assemble the rows of all ranks into the full matrix on rank 0.

    Args:
        indices (np.ndarray): Global row index of each local row.
        rows (np.ndarray): This rank's rows (any dtype; 1-D for one value
            per row).
        num_rows (int): Rows of the full matrix.

    Returns:
        np.ndarray | None: The full matrix on rank 0, None elsewhere.

    Raises:
        RuntimeError: On rank 0, if the ranks' rows do not cover
            ``range(num_rows)`` exactly once.

    Shape:
        - indices: :math:`(n,)`; rows: :math:`(n, *)`.
        - output: :math:`(N, *)`.
    """
    parts = (
        gather_object((indices, rows))
        if get_world_size() > 1
        else [(indices, rows)]
    )
    if parts is None:
        return None
    all_indices = np.concatenate([p[0] for p in parts])
    if not np.array_equal(np.sort(all_indices), np.arange(num_rows)):
        raise RuntimeError(
            f'retrieval evaluation: the ranks scored rows {all_indices[:10]}'
            f'... ({len(all_indices)} rows) instead of each of the '
            f'{num_rows} rows once'
        )
    full = np.empty((num_rows,) + rows.shape[1:], dtype=rows.dtype)
    for idx, part in parts:
        full[idx] = part
    return full
