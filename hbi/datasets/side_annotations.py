"""What a dataset adds to its annotations for the extra losses: caption
tags, timestamped segments, and the side inputs its pipelines provide."""

from typing import TYPE_CHECKING

from .caption_tags import read_tag_file
from .segments import check_video_segments, read_segment_file

if TYPE_CHECKING:
    from mmengine.dataset import Compose

    from .base_video_text_dataset import BaseVideoTextDataset

#: Side inputs that need timestamped segments in the annotations.
SEGMENT_INPUTS = frozenset({'segment_frames', 'segment_sentences'})


def _pipeline_provides(pipeline: 'Compose') -> set:
    """Side inputs the transforms of a pipeline add (their ``provides``,
    a wrapped ``loader``'s included)."""
    names = set()
    for transform in pipeline.transforms:
        for part in (transform, getattr(transform, 'loader', None)):
            names.update(getattr(part, 'provides', ()))
    return names


def provided_side_inputs(dataset: 'BaseVideoTextDataset') -> set:
    """Names of the side inputs a dataset's items carry: the ``provides``
    of its transforms, segment inputs only if some video has segments."""
    names = _pipeline_provides(dataset.video_pipeline)
    names |= _pipeline_provides(dataset.text_pipeline)
    if not dataset.has_segments:
        names -= SEGMENT_INPUTS
    return names


def check_tag_needs(dataset: 'BaseVideoTextDataset') -> None:
    """A text transform needing caption tags without a ``tag_file`` is an
    error."""
    needs = [
        type(t).__name__
        for t in dataset.text_pipeline.transforms
        if getattr(t, 'needs_caption_tags', False)
    ]
    if needs and not dataset.tag_file:
        raise ValueError(
            f'{type(dataset).__name__}: {needs} in text_pipeline need the '
            'part-of-speech tags of the captions: set tag_file (written by '
            'tools/data/tag_captions.py)'
        )


def attach_side_annotations(
    dataset: 'BaseVideoTextDataset', videos: list, texts: list
) -> None:
    """In place: the segments of ``segment_file``, every video's segments
    checked (``invalid_segments``), and ``caption_tags`` on every text when
    the dataset has a ``tag_file``."""
    if dataset.segment_file:
        by_id = read_segment_file(dataset.segment_file)
        for video in videos:
            entry = by_id.get(video['video_id'])
            if entry is not None:
                video['segments'] = entry['segments']
                if video.get('duration') is None:
                    video['duration'] = entry['duration']
    check_video_segments(
        videos,
        dataset.segment_file or dataset.ann_file,
        dataset.invalid_segments,
        type(dataset).__name__,
    )
    if dataset.tag_file:
        tags = read_tag_file(
            dataset.tag_file,
            dataset.caption_file,
            [t['caption'] for t in texts],
        )
        for text in texts:
            text['caption_tags'] = tags[text['caption']]
