"""Re-encode a folder of videos to a smaller size and frame rate.

Example::

    python tools/data/compress_videos.py data/msrvtt/videos_raw \\
        data/msrvtt/videos --size 224 --fps 3 --workers 8

Every video under SRC (recursively; extensions from ``--exts``) is decoded
with PyAV, sampled to ``--fps`` frames per second, resized so that its
shorter side is ``--size`` (bicubic, aspect kept, even width and height) and
encoded as H.264 (yuv420p, ``--crf``) under DST with the same relative path
and name. Audio is dropped. This does what CLIP4Clip's
``preprocess/compress_video.py`` does with the ffmpeg binary, which may not
be installed; PyAV carries its own libraries.

Resumable: each output is written to a hidden temporary file next to it and
renamed when complete, so an existing output is complete and is skipped.
Failures (corrupt inputs, ...) do not stop the others; they are listed at
the end with their error and the exit code is 1.
"""

import argparse
import multiprocessing
import os
import os.path as osp
import sys
import time
from fractions import Fraction
from typing import Optional, Sequence

from tqdm import tqdm

VIDEO_EXTS = (
    '.mp4',
    '.avi',
    '.mkv',
    '.webm',
    '.mov',
    '.m4v',
    '.mpg',
    '.mpeg',
    '.3gp',
    '.flv',
)


def find_videos(src: str, exts: Sequence[str]) -> list[str]:
    """Paths relative to ``src`` of the videos under it, sorted."""
    found = []
    for root, _, files in os.walk(src):
        for name in files:
            if osp.splitext(name)[1].lower() in exts and not name.startswith(
                '.'
            ):
                found.append(osp.relpath(osp.join(root, name), src))
    return sorted(found)


def output_size(width: int, height: int, size: int) -> tuple[int, int]:
    """(width, height) with the shorter side ``size``, both even."""
    scale = size / min(width, height)
    new_w = max(2, int(round(width * scale / 2)) * 2)
    new_h = max(2, int(round(height * scale / 2)) * 2)
    return new_w, new_h


def temp_path(dst: str) -> str:
    """The hidden file an output is written to before its rename."""
    folder, name = osp.split(dst)
    return osp.join(folder, f'.{name}.tmp{osp.splitext(name)[1]}')


def compress_video(
    src: str, dst: str, size: int, fps: float, crf: int = 23
) -> int:
    """Re-encode one video; returns the number of frames written.

    Output frame k (time k / fps) is the first decoded frame whose time is
    at or after k / fps (a slower source repeats frames).

    Raises:
        RuntimeError: If the input has no video stream or no frame.
        av.FFmpegError: If decoding or encoding fails.
    """
    import av

    tmp = temp_path(dst)
    os.makedirs(osp.dirname(dst) or '.', exist_ok=True)
    rate = Fraction(fps).limit_denominator(1000)
    written = 0
    try:
        with av.open(src) as inp:
            if not inp.streams.video:
                raise RuntimeError('no video stream')
            in_stream = inp.streams.video[0]
            in_stream.thread_type = 'AUTO'
            with av.open(tmp, 'w') as out:
                stream = None
                for frame in inp.decode(in_stream):
                    t = frame.time if frame.time is not None else 0.0
                    while written / rate <= t + 1e-6:
                        if stream is None:
                            width, height = output_size(
                                frame.width, frame.height, size
                            )
                            stream = out.add_stream('libx264', rate=rate)
                            stream.width, stream.height = width, height
                            stream.pix_fmt = 'yuv420p'
                            stream.options = {'crf': str(crf)}
                            stream.codec_context.thread_count = 1
                        small = frame.reformat(
                            width=width,
                            height=height,
                            format='yuv420p',
                            interpolation='BICUBIC',
                        )
                        small.pts = written
                        small.time_base = 1 / rate
                        for packet in stream.encode(small):
                            out.mux(packet)
                        written += 1
                if stream is None:
                    raise RuntimeError('no frame could be decoded')
                for packet in stream.encode():
                    out.mux(packet)
        os.replace(tmp, dst)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
    return written


def _job(args: tuple) -> tuple[str, Optional[str], int]:
    rel, src, dst, size, fps, crf = args
    try:
        return rel, None, compress_video(src, dst, size, fps, crf)
    except Exception as e:  # reported at the end, the others go on
        return rel, f'{type(e).__name__}: {e}', 0


def compress_folder(
    src: str,
    dst: str,
    size: int = 224,
    fps: float = 3,
    workers: int = 1,
    crf: int = 23,
    exts: Sequence[str] = VIDEO_EXTS,
    progress: bool = True,
) -> dict:
    """Re-encode every video of ``src`` into ``dst`` (see the module doc).

    Returns:
        dict: ``done`` (relative paths encoded now), ``skipped`` (outputs
        already there), ``failed`` (``{relative path: error}``), ``seconds``.
    """
    if not osp.isdir(src):
        raise FileNotFoundError(f'source folder not found: {src}')
    if osp.abspath(src) == osp.abspath(dst):
        raise ValueError('SRC and DST must differ')
    start = time.time()
    videos = find_videos(src, tuple(e.lower() for e in exts))
    skipped = [r for r in videos if osp.isfile(osp.join(dst, r))]
    todo = [
        (r, osp.join(src, r), osp.join(dst, r), size, fps, crf)
        for r in videos
        if r not in set(skipped)
    ]
    done, failed = [], {}
    bar = tqdm(
        total=len(todo),
        disable=not progress,
        unit='video',
        desc=f'compress ({len(skipped)} already done)',
    )
    if workers > 1 and len(todo) > 1:
        with multiprocessing.get_context('spawn').Pool(workers) as pool:
            results = pool.imap_unordered(_job, todo)
            for rel, error, _ in results:
                (failed.__setitem__(rel, error) if error else done.append(rel))
                bar.update()
    else:
        for job in todo:
            rel, error, _ = _job(job)
            (failed.__setitem__(rel, error) if error else done.append(rel))
            bar.update()
    bar.close()
    return dict(
        done=sorted(done),
        skipped=skipped,
        failed=dict(sorted(failed.items())),
        seconds=time.time() - start,
    )


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('src', help='folder of input videos (recursive)')
    parser.add_argument('dst', help='output folder (same relative paths)')
    parser.add_argument(
        '--size',
        type=int,
        default=224,
        help='shorter side in pixels (default 224)',
    )
    parser.add_argument(
        '--fps', type=float, default=3, help='output frame rate (default 3)'
    )
    parser.add_argument(
        '--workers',
        type=int,
        default=os.cpu_count() or 1,
        help='processes (default: all cores)',
    )
    parser.add_argument(
        '--crf',
        type=int,
        default=23,
        help='x264 quality, lower is better (default 23)',
    )
    parser.add_argument(
        '--exts',
        nargs='+',
        default=list(VIDEO_EXTS),
        help='video file extensions to convert',
    )
    parser.add_argument('--no-progress', action='store_true')
    args = parser.parse_args(argv)
    if args.size < 2 or args.fps <= 0 or args.workers < 1:
        parser.error('--size must be >= 2, --fps > 0 and --workers >= 1')
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    summary = compress_folder(
        args.src,
        args.dst,
        args.size,
        args.fps,
        args.workers,
        args.crf,
        args.exts,
        progress=not args.no_progress,
    )
    print(
        f'{len(summary["done"])} encoded, {len(summary["skipped"])} '
        f'skipped (already done), {len(summary["failed"])} failed in '
        f'{summary["seconds"]:.1f} s'
    )
    for rel, error in summary['failed'].items():
        print(f'FAILED {rel}: {error}')
    return 1 if summary['failed'] else 0


if __name__ == '__main__':
    sys.exit(main())
