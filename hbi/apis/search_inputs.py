"""The inputs of the search index: records through a pipeline, batches
that keep the videos that decoded and report the others."""

from typing import List, Optional, Tuple, Union

from mmengine.dataset import Compose, pseudo_collate
from torch.utils.data import Dataset

from hbi.datasets.transforms.compose import (
    build_transforms as compose_pipeline,  # noqa: F401
)
from hbi.datasets.transforms.video_reader import VideoDecodeError


class RecordDataset(Dataset):
    """Items built from records by a pipeline and the packing transform; a
    video that cannot be decoded gives ``VideoDecodeError`` itself (raised
    in the main process, where its type survives)."""

    def __init__(self, records: List[dict], pipeline: Compose) -> None:
        self.records, self.pipeline = records, pipeline

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, idx: int) -> Union[dict, VideoDecodeError]:
        try:
            return self.pipeline(dict(self.records[idx]))
        except VideoDecodeError as e:
            return e


def collate_decoded(items: list) -> Tuple[List[int], Optional[dict], list]:
    """(positions in the batch that decoded, their collated batch, the
    errors of the others)."""
    kept = [i for i, x in enumerate(items) if not isinstance(x, Exception)]
    errors = [x for x in items if isinstance(x, Exception)]
    batch = pseudo_collate([items[i] for i in kept]) if kept else None
    return kept, batch, errors


def check_count(name: str, value: Optional[int], none_ok: bool) -> None:
    """A positive int (or None when ``none_ok``), else an error naming
    ``name``."""
    if value is None and none_ok:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f'{name} must be a positive integer'
            + (' or None' if none_ok else '')
            + f', got {value!r}'
        )
