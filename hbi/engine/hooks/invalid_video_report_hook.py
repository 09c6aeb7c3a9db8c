"""Log, after every training epoch, which videos the dataset skipped."""

import logging
from collections import Counter
from typing import Optional

from mmengine.dist import all_gather_object
from mmengine.hooks import Hook
from mmengine.logging import print_log

from hbi.datasets.invalid_video_skipping import TooManyInvalidVideosError
from hbi.registry import HOOKS


def _datasets(dataset) -> list:
    """The dataset and those it wraps (Concat/Repeat/ClassBalanced)."""
    found = [dataset]
    for inner in getattr(dataset, 'datasets', []) or []:
        found.extend(_datasets(inner))
    if getattr(dataset, 'dataset', None) is not None:
        found.extend(_datasets(dataset.dataset))
    return found


@HOOKS.register_module()
class InvalidVideoReportHook(Hook):
    """Count and log the videos skipped (``skip_invalid=True``) in each
    training epoch, gathered from every DataLoader worker and rank.

    Skips are recorded by :class:`BaseVideoTextDataset` in one small file per
    process; this hook collects them with ``dataset.pop_invalid_videos()``
    after each epoch (and after training, for iteration-based loops) and logs
    the number of skips and the distinct video ids, with the first reason of
    each, every epoch (each message names its epoch, so mmengine's filter of
    repeated warnings never hides one). A run is never silently trained on
    substitutes: either ``skip_invalid=False`` raises at the first bad video,
    or every skip is reported here, and ``max_invalid`` turns too many skips
    into an error. :class:`hbi.engine.runner.HBIRunner` adds this hook to
    every run whose config does not list it; it stays silent when no
    training dataset skips.

    Args:
        max_invalid (int, optional): Raise ``TooManyInvalidVideosError``
            (after logging) when more distinct videos than this were skipped
            in one epoch; ``0`` makes any skip an error at the end of the
            epoch. The dataset's own ``max_invalid`` (settable with
            ``--cfg-options train_dataloader.dataset.max_invalid=N``) applies
            too; the smaller wins. None (no limit) by default.
        max_listed (int): Most video ids written in the log line.
            Defaults to 50.

    Examples:
        >>> custom_hooks = [dict(type='InvalidVideoReportHook',
        ...                      max_invalid=10)]
    """

    priority = 'LOW'

    def __init__(
        self, max_invalid: Optional[int] = None, max_listed: int = 50
    ) -> None:
        if max_invalid is not None and max_invalid < 0:
            raise ValueError(
                f'max_invalid must be >= 0 or None, got {max_invalid}'
            )
        self.max_invalid = max_invalid
        self.max_listed = max_listed
        self.history: list[dict] = []

    @staticmethod
    def _skipping(runner) -> list:
        """The training datasets that skip invalid videos."""
        return [
            dataset
            for dataset in _datasets(runner.train_dataloader.dataset)
            if hasattr(dataset, 'pop_invalid_videos')
            and getattr(dataset, 'invalid_record_dir', None)
        ]

    def _limit(self, datasets: list) -> Optional[int]:
        limits = [self.max_invalid] + [
            getattr(d, 'max_invalid', None) for d in datasets
        ]
        limits = [n for n in limits if n is not None]
        return min(limits) if limits else None

    def report(self, runner, when: str) -> Optional[dict]:
        """Collect the skips, log them, and check ``max_invalid``.

        Returns:
            dict, optional: ``dict(when, num_skipped, video_ids, reasons)``
            (also appended to ``history``), None if nothing was skipped.
        """
        datasets = self._skipping(runner)
        if not datasets:  # the same on every rank: no collective is skipped
            return None
        records = [r for d in datasets for r in d.pop_invalid_videos()]
        records = [r for part in all_gather_object(records) for r in part]
        if not records:
            print_log(
                f'InvalidVideoReportHook: {when}: no video skipped',
                logger='current',
                level=logging.INFO,
            )
            return None
        counts = Counter(r['video_id'] for r in records)
        reasons = {}
        for record in records:
            reasons.setdefault(
                record['video_id'], f'{record["path"]}: {record["reason"]}'
            )
        ids = sorted(counts)
        listed = ', '.join(
            f'{v} (x{counts[v]})' if counts[v] > 1 else v
            for v in ids[: self.max_listed]
        )
        more = (
            f' and {len(ids) - self.max_listed} more'
            if len(ids) > self.max_listed
            else ''
        )
        first = ids[0]
        print_log(
            f'InvalidVideoReportHook: {when}: skipped {len(records)} items '
            f'for {len(ids)} invalid videos: {listed}{more}. First: '
            f'{first}: {reasons[first]}',
            logger='current',
            level=logging.WARNING,
        )
        summary = dict(
            when=when, num_skipped=len(records), video_ids=ids, reasons=reasons
        )
        self.history.append(summary)
        limit = self._limit(datasets)
        if limit is not None and len(ids) > limit:
            raise TooManyInvalidVideosError(
                f'{len(ids)} invalid videos were skipped in {when}, more than '
                f'max_invalid={limit}: {ids[: self.max_listed]}; first: '
                f'{first}: {reasons[first]}'
            )
        return summary

    def after_train_epoch(self, runner) -> None:
        self.report(runner, f'epoch {runner.epoch + 1}')

    def after_train(self, runner) -> None:
        # Iteration-based loops have no epochs: report what remains.
        self.report(runner, 'end of training')
