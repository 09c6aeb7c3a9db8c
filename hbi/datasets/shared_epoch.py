"""An epoch counter that DataLoader workers see change (persistent ones too).

A dataset copied into persistent DataLoader workers keeps the attributes it
had when the workers started, so an epoch set on the main process's copy
would never reach them: ``caption_sampling='one_per_video'`` would repeat
epoch 0's captions. The counter lives in shared memory instead, made in the
main process and inherited by the workers (forked, or spawned: the dataset
is pickled while the worker is spawned, which passes the shared memory).
"""

import multiprocessing
from multiprocessing.context import get_spawning_popen


class SharedEpoch:
    """An integer in shared memory, written by the main process (e.g. from
    ``set_epoch``) and read by every DataLoader worker.

    Copying (``copy.deepcopy``) or pickling outside of a worker's start
    (e.g. to save a dataset) gives an independent counter holding the same
    value, since shared memory cannot travel that way.

    Args:
        value (int): The initial epoch. Defaults to 0.
    """

    def __init__(self, value: int = 0) -> None:
        self._value = multiprocessing.RawValue('q', value)

    @property
    def value(self) -> int:
        """The current epoch."""
        return int(self._value.value)

    @value.setter
    def value(self, epoch: int) -> None:
        self._value.value = int(epoch)

    def __reduce__(self):
        if get_spawning_popen() is not None:  # starting a worker: share
            return _rebuild_shared, (self._value,)
        return SharedEpoch, (self.value,)

    def __deepcopy__(self, memo: dict) -> 'SharedEpoch':
        return SharedEpoch(self.value)

    def __repr__(self) -> str:
        return f'SharedEpoch({self.value})'


def _rebuild_shared(raw) -> SharedEpoch:
    epoch = SharedEpoch.__new__(SharedEpoch)
    epoch._value = raw
    return epoch
