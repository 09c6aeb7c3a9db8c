"""Two captioning baselines that need no decoder: the most frequent training
caption, and the caption of the nearest training video."""

from collections import Counter
from typing import Dict, Sequence

import torch
from mmengine.dataset import pseudo_collate
from torch.utils.data import DataLoader

from hbi.engine.runner.retrieval_evaluation import encode_items
from hbi.models.tokenizers.clip_tokenizer import normalize_caption

from .first_stage import first_stage_vectors


def most_frequent_caption(captions: Sequence[str]) -> str:
    """The most frequent caption after CLIP's text normalisation (lower
    case, single spaces); a tie goes to the caption seen first.

    Raises:
        ValueError: If ``captions`` is empty.
    """
    if not captions:
        raise ValueError('most_frequent_caption: no captions')
    counts = Counter(normalize_caption(c) for c in captions)
    return counts.most_common(1)[0][0]  # most_common keeps first-seen order


def _video_vectors(model, dataset, batch_size: int, num_workers: int):
    """Video indices (into ``dataset.videos``) and first-stage vectors of
    the items of a video view (a subset view holds some of the videos)."""
    loader = DataLoader(
        dataset,
        batch_size=batch_size,
        num_workers=num_workers,
        collate_fn=pseudo_collate,
    )
    indices, feats, _ = encode_items(model, loader, 'video', gather=False)
    if len(indices) != len(dataset):
        raise RuntimeError('nearest_video_captions: a video was not encoded')
    return indices.tolist(), first_stage_vectors(feats, 'video')


@torch.no_grad()
def nearest_video_captions(
    model,
    train_videos,
    test_videos,
    batch_size: int = 64,
    num_workers: int = 0,
) -> Dict[str, str]:
    """Caption each test video with the first caption (in file order) of
    the training video nearest to it by the retrieval embedding.

    The embedding is the first-stage vector of
    :func:`~hbi.apis.first_stage.first_stage_vectors` (the mean of the
    normalised frame tokens, normalised: meanP's video vector), compared by
    cosine; a tie goes to the lower training index.

    Args:
        model: A retriever (``encode_video``, ``data_preprocessor``), in
            eval mode.
        train_videos: The training dataset's ``'video'`` view (its
            ``texts`` and ``video_texts`` give the captions).
        test_videos: The evaluated ``'video'`` view.
        batch_size (int): Videos per batch. Defaults to 64.
        num_workers (int): Decoding workers. Defaults to 0.

    Returns:
        dict[str, str]: Caption per test video id.

    Raises:
        ValueError: If a view is not a ``'video'`` view.
    """
    for name, view in (('train', train_videos), ('test', test_videos)):
        if getattr(view, 'modality', None) != 'video':
            raise ValueError(
                f"nearest_video_captions: {name}_videos must be a 'video' "
                f'view, got modality {getattr(view, "modality", None)!r}'
            )
    model.eval()
    train_index, train = _video_vectors(
        model, train_videos, batch_size, num_workers
    )
    test_index, test = _video_vectors(
        model, test_videos, batch_size, num_workers
    )
    captioned = torch.tensor(
        [bool(train_videos.video_texts[v]) for v in train_index]
    )
    sims = (test @ train.t()).masked_fill(~captioned, float('-inf'))
    nearest = [train_index[j] for j in sims.argmax(dim=1).tolist()]
    return {
        test_videos.videos[v]['video_id']: train_videos.texts[
            train_videos.video_texts[u][0]
        ]['caption']
        for v, u in zip(test_index, nearest)
    }
