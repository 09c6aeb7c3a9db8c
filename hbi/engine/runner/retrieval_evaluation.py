"""The body shared by the retrieval validation and test loops.

Each text and each video of the evaluation set is encoded exactly once
(text-only and video-only passes, so a video with 20 captions is decoded
once), features are gathered from all ranks in dataset order, and the
``N_t x N_v`` matrix is filled block by block through ``model.similarity``.
"""
from typing import Callable, Dict, List, Tuple

import numpy as np
import torch
from mmengine.dist import all_gather_object, get_world_size, is_main_process
from torch.utils.data import DataLoader
from tqdm import tqdm

from hbi.utils.distributed import concat_tensors, map_tensors

Encoder = Callable[[Dict[str, torch.Tensor]], dict]


def _order_by_index(parts: List[Tuple[np.ndarray, list]]) -> Tuple[
        np.ndarray, list]:
    """Merge per-rank (indices, items) lists, sorted by index, duplicates
    (from samplers that pad the last round) dropped."""
    indices = np.concatenate([p[0] for p in parts])
    items = [item for p in parts for item in p[1]]
    order = np.argsort(indices, kind='stable')
    keep, seen = [], set()
    for i in order:
        if indices[i] not in seen:
            seen.add(indices[i])
            keep.append(i)
    return indices[keep], [items[i] for i in keep]


@torch.no_grad()
def encode_items(model, loader: DataLoader, modality: str,
                 fp16: bool = False) -> Tuple[np.ndarray, dict, np.ndarray]:
    """Encode every item of ``loader`` once and gather them from all ranks.

    Args:
        model: the unwrapped model (``encode_text`` / ``encode_video``).
        loader: a loader over a text-only or video-only dataset view.
        modality (str): ``'text'`` or ``'video'``.
        fp16 (bool): autocast on CUDA.

    Returns:
        tuple: item indices (sorted, unique), their features concatenated
        along dim 0 (on CPU), and for texts the index of each text's video
        (for videos, the same indices again).
    """
    index_key = 'text_index' if modality == 'text' else 'video_index'
    device = next(model.parameters()).device
    indices, video_indices, feats = [], [], []
    progress = tqdm(loader, desc=f'encode {modality}s',
                    disable=not is_main_process(), unit='batch')
    for batch in progress:
        data = model.data_preprocessor(batch, False)
        inputs, samples = data['inputs'], data['data_samples']
        with torch.autocast(device.type, enabled=fp16 and
                            device.type == 'cuda'):
            if modality == 'text':
                out = model.encode_text(inputs['input_ids'],
                                        inputs['attention_mask'])
            else:
                out = model.encode_video(inputs['frames'],
                                         inputs['frame_mask'])
        out = map_tensors(lambda t: t.float().cpu(), out)
        for i, sample in enumerate(samples):
            indices.append(sample.metainfo[index_key])
            video_indices.append(sample.metainfo['video_index'])
            feats.append(map_tensors(lambda t, i=i: t[i:i + 1], out))
    local = (np.asarray(indices + [], dtype=np.int64),
             list(zip(video_indices, feats)))
    parts = all_gather_object(local) if get_world_size() > 1 else [local]
    order, items = _order_by_index(parts)
    return order, concat_tensors([f for _, f in items]), np.asarray(
        [v for v, _ in items], dtype=np.int64)


@torch.no_grad()
def similarity_matrix(model, text: dict, video: dict, num_texts: int,
                      num_videos: int, block_size: int = 1024,
                      key: str = 'fused') -> np.ndarray:
    """Fill the [N_t, N_v] matrix in blocks of ``block_size`` on the model's
    device; only one block of features is on the device at a time."""
    device = next(model.parameters()).device
    sim = np.zeros((num_texts, num_videos), dtype=np.float32)
    blocks = [(r, c) for r in range(0, num_texts, block_size)
              for c in range(0, num_videos, block_size)]
    for r, c in tqdm(blocks, desc='similarity blocks',
                     disable=not is_main_process(), unit='block'):
        t = map_tensors(lambda x: x[r:r + block_size].to(device), text)
        v = map_tensors(lambda x: x[c:c + block_size].to(device), video)
        block = model.similarity(t, v)[key]
        sim[r:r + block.shape[0], c:c + block.shape[1]] = \
            block.float().cpu().numpy()
    return sim
