"""Captioning examples as images: frames, the generated caption, the
references."""

import os
import os.path as osp
import textwrap
from typing import Dict, List, Optional, Sequence

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from hbi.datasets.transforms.video_reader import open_video  # noqa: E402


def spread_frames(path: str, num: int) -> List[np.ndarray]:
    """``num`` frames of a video at evenly spread times, [H, W, 3] uint8."""
    reader = open_video(path)
    count = reader.num_frames
    index = np.linspace(0, count - 1, min(num, count)).round().astype(int)
    return list(reader.get_frames(index.tolist()))


def plot_caption(
    path: str,
    out_file: str,
    caption: str,
    references: Optional[Sequence[str]] = None,
    title: str = '',
    num_frames: int = 4,
    max_references: int = 5,
) -> str:
    """Write one PNG: ``num_frames`` frames of the video in a row, the
    generated caption under them and, if given, the first
    ``max_references`` references.

    Returns:
        str: ``out_file``.
    """
    frames = spread_frames(path, num_frames)
    lines = [f'generated: {caption or "(empty)"}']
    if references:
        shown = list(references)[:max_references]
        more = len(references) - len(shown)
        lines += [f'reference: {r}' for r in shown]
        if more > 0:
            lines.append(f'(+{more} more references)')
    text = '\n'.join(
        textwrap.fill(line, 100, subsequent_indent='    ') for line in lines
    )
    height = 2.2 + 0.18 * text.count('\n')
    fig, axes = plt.subplots(
        1, len(frames), figsize=(2.2 * len(frames), height)
    )
    for ax, frame in zip(np.atleast_1d(axes), frames):
        ax.imshow(frame)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title or osp.basename(path), fontsize=9)
    fig.text(0.01, 0.01, text, fontsize=8, va='bottom', family='monospace')
    fig.tight_layout(rect=(0, 0.18 * (1 + text.count('\n')) / height, 1, 1))
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    fig.savefig(out_file, dpi=80)
    plt.close(fig)
    return out_file


def plot_caption_examples(
    video_paths: Dict[str, str],
    predictions: Dict[str, str],
    references: Dict[str, Sequence[str]],
    out_dir: str,
    num_examples: int = 8,
    seed: int = 0,
) -> List[str]:
    """Write one PNG per sampled video (:func:`plot_caption`).

    Args:
        video_paths (dict[str, str]): Video file per video id.
        predictions (dict[str, str]): Generated caption per video id.
        references (dict[str, Sequence[str]]): References per video id.
        out_dir (str): Folder of the PNG files (created).
        num_examples (int): Videos drawn (with a fixed seed).
        seed (int): Seed of the draw. Defaults to 0.

    Returns:
        list[str]: The written files.
    """
    ids = list(predictions)
    rng = np.random.default_rng(seed)
    picked = np.sort(
        rng.choice(len(ids), min(num_examples, len(ids)), replace=False)
    )
    files = []
    for i in picked:
        video_id = ids[i]
        files.append(
            plot_caption(
                video_paths[video_id],
                osp.join(out_dir, f'caption_{i:05d}_{video_id}.png'),
                predictions[video_id],
                references.get(video_id),
                title=video_id,
            )
        )
    return files
