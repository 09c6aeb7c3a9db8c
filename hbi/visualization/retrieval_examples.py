"""Retrieval examples as images: a caption and its top-k videos."""

import os
import os.path as osp
from typing import List, Sequence

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from hbi.datasets.transforms.video_reader import open_video  # noqa: E402


def middle_frame(path: str) -> np.ndarray:
    """The middle frame of a video, [H, W, 3] uint8."""
    reader = open_video(path)
    return reader.get_frames([reader.num_frames // 2])[0]


def plot_retrieval_examples(
    sim: np.ndarray,
    text_to_video: np.ndarray,
    captions: Sequence[str],
    video_paths: Sequence[str],
    out_dir: str,
    num_queries: int = 8,
    k: int = 5,
    seed: int = 0,
) -> List[str]:
    """Write one PNG per sampled caption: the caption, then its top-``k``
    videos (middle frames) with their scores; the ground truth is framed in
    green, other videos in grey.

    Args:
        sim (np.ndarray): [Nt, Nv] text-to-video similarities.
        text_to_video (np.ndarray): [Nt] ground-truth video of each caption.
        captions (Sequence[str]): The Nt captions.
        video_paths (Sequence[str]): The Nv video files.
        out_dir (str): Folder of the PNG files (created).
        num_queries (int): Captions drawn (evenly, with a fixed seed).
        k (int): Videos shown per caption.

    Returns:
        list[str]: The written files.
    """
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(seed)
    queries = np.sort(
        rng.choice(
            len(captions), min(num_queries, len(captions)), replace=False
        )
    )
    files = []
    for q in queries:
        top = np.argsort(-sim[q], kind='stable')[:k]
        rank = int((sim[q] > sim[q, text_to_video[q]]).sum()) + 1
        fig, axes = plt.subplots(1, len(top), figsize=(2.2 * len(top), 2.8))
        axes = np.atleast_1d(axes)
        for ax, v in zip(axes, top):
            ax.imshow(middle_frame(video_paths[v]))
            hit = v == text_to_video[q]
            for spine in ax.spines.values():
                spine.set_edgecolor('green' if hit else 'grey')
                spine.set_linewidth(4 if hit else 1)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(
                f'{osp.basename(video_paths[v])}\n{sim[q, v]:.3f}', fontsize=8
            )
        fig.suptitle(
            f'"{captions[q]}"  (ground truth at rank {rank})', fontsize=9
        )
        fig.tight_layout()
        path = osp.join(out_dir, f'query_{q:05d}.png')
        fig.savefig(path, dpi=80)
        plt.close(fig)
        files.append(path)
    return files
