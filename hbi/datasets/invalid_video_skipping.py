"""Skipping videos that cannot be decoded in training (``skip_invalid``):
a random other item instead, each skip logged and recorded for the
epoch's report, and a named error when too many fail."""

import logging
from collections import Counter

from mmengine.logging import print_log

from .invalid_video_records import append_record, pop_records
from .transforms.video_reader import VideoDecodeError


class TooManyInvalidVideosError(RuntimeError):
    """Skipping (``skip_invalid=True``) found no decodable video within
    ``max_refetch`` tries, or more than ``max_invalid`` in an epoch."""


class InvalidVideoSkipping:
    """``__getitem__`` with refetching and the skip records, for
    :class:`BaseVideoTextDataset` (which sets ``skip_invalid``,
    ``invalid_videos``, ``invalid_record_dir`` and returns None from
    ``prepare_data`` for a skipped video)."""

    def __getitem__(self, idx: int) -> dict:
        """The idx-th item; with ``skip_invalid`` (training), an item whose
        video cannot be decoded is replaced by a random other one, as
        mmengine does, but running out of tries names the videos
        (mmengine's "Cannot find valid image after N!" names none)."""
        if self.test_mode or not self.skip_invalid:
            return super().__getitem__(idx)
        if not self._fully_initialized:
            self.full_init()
        for _ in range(self.max_refetch + 1):
            data = self.prepare_data(idx)
            if data is not None:
                return data
            idx = self._rand_another()
        raise TooManyInvalidVideosError(
            f'{type(self).__name__}: {self.max_refetch + 1} items in a row '
            f'had videos that cannot be decoded; '
            f'{self.describe_invalid_videos()}. Check data_root '
            f'({self.data_root!r}) and the videos under '
            f'{self.data_prefix["video"]!r}.'
        )

    def describe_invalid_videos(self, limit: int = 3) -> str:
        """How many videos this process skipped, and the first reasons."""
        counts = Counter(video_id for video_id, _ in self.invalid_videos)
        reasons = dict(reversed(self.invalid_videos))  # first reason of each
        first = '; '.join(
            f'{video_id}: {reasons[video_id]}'
            for video_id in list(counts)[:limit]
        )
        return (
            f'{len(counts)} of {len(self.videos or [])} videos skipped '
            f'({len(self.invalid_videos)} times) in this process, first: '
            f'{first}'
        )

    def _on_invalid_video(self, error: VideoDecodeError) -> None:
        """Record a skipped video: a warning naming it, ``(video_id,
        reason)`` in ``invalid_videos`` (this process only) and a line in
        this process's record file (gathered by :meth:`pop_invalid_videos`).
        """
        self.invalid_videos.append((error.video_id, error.reason))
        if self.invalid_record_dir is not None:
            append_record(self.invalid_record_dir, error)
        print_log(
            f'{type(self).__name__}: skipping video {error.video_id!r} '
            f'({error.path}): {error.reason}',
            logger='current',
            level=logging.WARNING,
        )

    def pop_invalid_videos(self) -> list[dict]:
        """Videos skipped since the last call, by any process of this
        dataset (main process and DataLoader workers), then forget them.

        Call it when no worker is decoding (e.g. after a training epoch).

        Returns:
            list[dict]: One ``dict(video_id, path, reason)`` per skip, in no
            particular order (a video that failed twice appears twice).
        """
        return pop_records(self.invalid_record_dir)
