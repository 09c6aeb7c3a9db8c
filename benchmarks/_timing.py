"""Tiny timing helper shared by the benchmark scripts.

``time_callable`` runs a callable after warm-up, repeats it, and reports the
median wall time and the peak memory of the timed runs:

- CUDA: ``torch.cuda.max_memory_allocated`` (tensors only) after
  ``reset_peak_memory_stats``.
- CPU: the process RSS high-water mark (``VmHWM``), reset first by writing
  ``5`` to ``/proc/self/clear_refs`` (Linux >= 4.0), so it covers only the
  timed runs. Where that reset is impossible the fallback is
  ``resource.getrusage(...).ru_maxrss``, the peak of the whole process life,
  and the result says so. ``tracemalloc`` is not used: it does not see
  PyTorch's CPU allocations.

Written here rather than taken from ``torch.utils.benchmark`` because that
module reports no memory and its ``Timer`` adapts the number of runs, while
these benchmarks need a fixed, small number of long runs.
"""

import os
import resource
import statistics
import time
from dataclasses import dataclass, field
from typing import Any, Callable, List, Optional

import torch


@dataclass
class Measurement:
    """Result of :func:`time_callable`.

    Attributes:
        times (list[float]): Seconds of each timed run.
        result (Any): Return value of the last timed run.
        peak_bytes (int, optional): Peak memory of the timed runs (see
            ``peak_kind``); None if unknown.
        base_bytes (int, optional): The same measure just before the timed
            runs (RSS or allocated CUDA memory), so ``peak - base`` is what
            the runs added.
        peak_kind (str): What ``peak_bytes`` measures.
    """

    times: List[float] = field(default_factory=list)
    result: Any = None
    peak_bytes: Optional[int] = None
    base_bytes: Optional[int] = None
    peak_kind: str = ''

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    def spread(self) -> str:
        """``median (min-max, n runs)`` as text."""
        return (
            f'{self.median:.3f} s (min {min(self.times):.3f}, max '
            f'{max(self.times):.3f}, n={len(self.times)})'
        )

    def memory(self) -> str:
        """Peak memory as text, with what it measures."""
        if self.peak_bytes is None:
            return 'n/a'
        added = ''
        if self.base_bytes is not None:
            added = f', +{format_bytes(self.peak_bytes - self.base_bytes)}'
        return f'{format_bytes(self.peak_bytes)} ({self.peak_kind}{added})'


def format_bytes(num: float) -> str:
    """Human-readable byte count (GiB/MiB/KiB)."""
    for unit, size in (('GiB', 2**30), ('MiB', 2**20), ('KiB', 2**10)):
        if abs(num) >= size:
            return f'{num / size:.2f} {unit}'
    return f'{num:.0f} B'


def _proc_status_kib(key: str) -> Optional[int]:
    try:
        with open('/proc/self/status') as status:
            for line in status:
                if line.startswith(key + ':'):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def current_rss_bytes() -> Optional[int]:
    """Resident set size of this process now, or None if unknown."""
    kib = _proc_status_kib('VmRSS')
    return None if kib is None else kib * 1024


def reset_rss_peak() -> bool:
    """Reset the RSS high-water mark; False where the OS does not allow it."""
    try:
        with open('/proc/self/clear_refs', 'w') as clear_refs:
            clear_refs.write('5')
        return True
    except OSError:
        return False


def rss_peak_bytes() -> int:
    """RSS high-water mark (``VmHWM``, else ``ru_maxrss``) in bytes."""
    kib = _proc_status_kib('VmHWM')
    if kib is None:
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib * 1024


def _sync(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def time_callable(
    fn: Callable[[], Any],
    repeats: int = 3,
    warmup: int = 1,
    warmup_fn: Optional[Callable[[], Any]] = None,
    device: str = 'cpu',
) -> Measurement:
    """Median wall time and peak memory of ``fn``.

    Args:
        fn (Callable): The work, called with no argument.
        repeats (int): Timed runs (>= 1). Defaults to 3.
        warmup (int): Untimed runs before them. Defaults to 1.
        warmup_fn (Callable, optional): Called for the warm-up instead of
            ``fn`` (e.g. a smaller problem, when ``fn`` takes minutes).
            Defaults to None.
        device (str): Device the work runs on; CUDA work is synchronised
            and its memory read from the CUDA allocator. Defaults to 'cpu'.

    Returns:
        Measurement: Times, last result and peak memory.
    """
    if repeats < 1:
        raise ValueError(f'time_callable: repeats must be >= 1, got {repeats}')
    dev = torch.device(device)
    for _ in range(warmup):
        (warmup_fn or fn)()
    _sync(dev)
    out = Measurement()
    if dev.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(dev)
        out.base_bytes = torch.cuda.memory_allocated(dev)
        out.peak_kind = 'CUDA max_memory_allocated'
    elif reset_rss_peak():
        out.base_bytes = current_rss_bytes()
        out.peak_kind = 'process RSS high-water mark'
    else:
        out.peak_kind = 'process-lifetime ru_maxrss (could not reset)'
    for _ in range(repeats):
        out.result = None  # free the previous result before the next run
        start = time.perf_counter()
        out.result = fn()
        _sync(dev)
        out.times.append(time.perf_counter() - start)
    if dev.type == 'cuda':
        out.peak_bytes = torch.cuda.max_memory_allocated(dev)
    else:
        out.peak_bytes = rss_peak_bytes()
    return out


def load_note() -> str:
    """CPU count, torch threads and the 1/5/15-min load average, as text."""
    try:
        load = '/'.join(f'{x:.2f}' for x in os.getloadavg())
    except OSError:
        load = 'n/a'
    return (
        f'cpus={os.cpu_count()} torch_threads={torch.get_num_threads()} '
        f'loadavg(1/5/15 min)={load}'
    )


def start_benchmark(args, random_teacher: bool = False) -> None:
    """The start every model benchmark shares: ``args.threads`` torch
    threads (0 keeps torch's default), the ``hbi`` registry scope, the
    settings and the machine's load printed, and (``random_teacher``) a
    random Banzhaf estimator saved at ``args.teacher`` so that the Banzhaf
    terms run."""
    from mmengine.registry import init_default_scope

    if args.threads:
        torch.set_num_threads(args.threads)
    init_default_scope('hbi')
    print(f'settings: {vars(args)}')
    print(f'load before: {load_note()}', flush=True)
    if random_teacher:
        from hbi.models.layers import BanzhafEstimator

        torch.save(BanzhafEstimator(64).state_dict(), args.teacher)
