"""DiDeMo paragraph-to-video retrieval (CLIP4Clip's json format)."""

from collections import Counter
from typing import Optional

from hbi.registry import DATASETS

from .activitynet_retrieval import report_empty_sentences
from .annotation_io import (
    check_fields,
    join_sentences,
    read_json,
    read_text_list,
)
from .base_video_text_dataset import BaseVideoTextDataset
from .segments import make_segments


@DATASETS.register_module()
class DiDeMoRetrievalDataset(BaseVideoTextDataset):
    """DiDeMo videos, each with ONE caption: the paragraph of all its
    moment descriptions joined in file order (as CLIP4Clip).

    ``ann_file`` is ``train_data.json`` / ``test_data.json``: a list of
    ``{"video": "<name>", "description": str, "times": [[s, e], ...], ...}``
    (one entry per moment). Videos appear in order of first mention; with
    ``list_file`` (one name per line) only the listed videos are kept.
    Videos are ``<data_prefix['video']>/<video><video_ext>`` (CLIP4Clip's
    compressed files are ``<name>.mp4``, with the name's own extension kept,
    e.g. ``12090392@N02_13482799053_87ef417396.mov.mp4``).

    Each description with ``times`` becomes a segment of its video: DiDeMo
    times are 5-second chunk indices given by several annotators; the most
    frequent ``[s, e]`` (the first of equally frequent ones) gives the span
    ``[5 s, 5 (e + 1)]`` seconds. The json has no durations, so a span past
    the end of its video is found when the frames are sampled.

    Args:
        ann_file (str): The json file, relative to ``data_root``.
        list_file (str): Optional list of video names.
        clip_end (float, optional): Use only the first ``clip_end`` seconds
            (CLIP4Clip reads 0–31 s: annotators saw at most 30 s). Whole
            video if None (A1's default). Defaults to None.
        **kwargs: Arguments of :class:`BaseVideoTextDataset`.

    Raises:
        ValueError: Naming the file, entry index and field for an entry that
            is not an object or lacks ``video``/``description``, or a video
            whose descriptions are all empty.
    """

    extra_ann_files = ('list_file',)

    def __init__(
        self,
        ann_file: str = '',
        list_file: str = '',
        clip_end: Optional[float] = None,
        **kwargs,
    ) -> None:
        self.list_file, self.clip_end = list_file, clip_end
        super().__init__(ann_file=ann_file, **kwargs)

    def load_annotations(self) -> tuple[list[dict], list[dict]]:
        """Parse the files; see the class docstring."""
        ann = read_json(self.ann_file)
        if not isinstance(ann, list):
            raise ValueError(
                f'{self.ann_file}: expected a list of moments '
                f'{{video, description, times}}, got '
                f'{type(ann).__name__}'
            )
        keep = set(read_text_list(self.list_file)) if self.list_file else None
        sentences: dict[str, list] = {}
        spans: dict[str, list] = {}
        for i, entry in enumerate(ann):
            check_fields(
                entry, ('video', 'description'), f'{self.ann_file}: entry {i}'
            )
            if keep is None or entry['video'] in keep:
                sentences.setdefault(entry['video'], []).append(
                    entry['description']
                )
                spans.setdefault(entry['video'], []).append(
                    _moment_span(entry.get('times'))
                )
        if keep is not None:
            absent = sorted(keep - set(sentences))
            if absent:
                raise ValueError(
                    f'{self.list_file}: {len(absent)} videos '
                    f'not in {self.ann_file}, e.g. {absent[:5]}'
                )
        texts_by_video, empty = {}, 0
        for video, video_sentences in sentences.items():
            paragraph, num_empty = join_sentences(
                video_sentences,
                f'{self.ann_file}: video {video!r}',
                'description',
            )
            empty += num_empty
            texts_by_video[video] = [dict(caption=paragraph)]
        report_empty_sentences(self, empty)
        videos, texts = self.group_texts(texts_by_video)
        for video in videos:
            video['end'] = self.clip_end
            name = video['video_id']
            video['segments'] = [
                segment
                for segment, span in zip(
                    make_segments(spans[name], sentences[name]), spans[name]
                )
                if span is not None
            ]
        return videos, texts


def _moment_span(times) -> Optional[list]:
    """Seconds ``[5 s, 5 (e + 1)]`` of the most frequent ``[s, e]`` chunk
    pair of a DiDeMo moment, or None without ``times``."""
    pairs = [tuple(t) for t in times or () if isinstance(t, (list, tuple))]
    if not pairs:
        return None
    s, e = Counter(pairs).most_common(1)[0][0]
    return [5.0 * s, 5.0 * (e + 1)]
