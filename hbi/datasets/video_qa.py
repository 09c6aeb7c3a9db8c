"""Open-ended video question answering (MSRVTT-QA, MSVD-QA, synthetic QA)."""

import logging

from mmengine.logging import print_log

from hbi.registry import DATASETS

from .annotation_io import (
    check_text,
    read_answer_vocabulary,
    read_jsonl_lines,
)
from .base_video_text_dataset import BaseVideoTextDataset

#: Fields every line of a QA file must have.
QA_FIELDS = ('question', 'answer', 'video_id')


@DATASETS.register_module()
class VideoQADataset(BaseVideoTextDataset):
    """Questions about videos, answered by classification over a vocabulary.

    ``ann_file`` is a JSON-lines file of ``{"question", "answer",
    "video_id"[, "answer_type"]}`` (MSRVTT-QA / MSVD-QA ``train.jsonl``,
    ``val.jsonl``, ``test.jsonl``; the synthetic world's ``qa_*.jsonl``).
    ``ans2label_file`` is ``{answer: index}`` built from the training answers
    (``train_ans2label.json``; ``qa_ans2label.json``).

    Each question is a ``text`` whose ``caption`` is the question (so the
    text pipeline tokenises it), with ``gt_answer`` = the answer's index, or
    -1 when the answer is not in the vocabulary: such a question counts as
    wrong at test time and never raises. ``answer`` and ``answer_type`` are
    kept too. ``PackVideoTextInputs`` puts ``gt_answer`` in the data sample
    (a data field). Videos are ``<data_prefix['video']>/<video_id><ext>`` in
    order of first mention. The number of out-of-vocabulary answers is
    logged once at start-up, and so are questions about videos whose file
    is missing (how many, and the lines asking about the first ones), or
    they are an error with ``missing_videos='error'``.

    Args:
        ann_file (str): The ``.jsonl`` file, relative to ``data_root``.
        ans2label_file (str): The answer vocabulary, relative to
            ``data_root``.
        drop_unknown_answers (bool): Leave out questions whose answer is not
            in the vocabulary (for training: a classifier cannot learn
            them). Keep False for evaluation. Defaults to False.
        missing_videos (str): ``'warn'`` (count and name them at start-up;
            decoding such a video later raises, or is skipped in training
            with ``skip_invalid``) or ``'error'`` (raise at start-up).
            Defaults to ``'warn'``.
        **kwargs: Arguments of :class:`BaseVideoTextDataset`.

    Raises:
        ValueError: Naming the file and line (and field) of a malformed
            line, an empty question or a non-string answer; naming
            ``ans2label_file`` and the line for an entry of a vocabulary that
            is not ``{str: int}`` with the indices 0..N-1 each used once and
            no answer twice (:func:`read_answer_vocabulary`).
        FileNotFoundError: With ``missing_videos='error'``, naming the
            annotation file and the lines of questions about missing
            videos.
    """

    extra_ann_files = ('ans2label_file',)

    def __init__(
        self,
        ann_file: str = '',
        ans2label_file: str = '',
        drop_unknown_answers: bool = False,
        missing_videos: str = 'warn',
        **kwargs,
    ) -> None:
        if not ans2label_file:
            raise ValueError(
                'VideoQADataset needs ans2label_file (the '
                'answer vocabulary, e.g. train_ans2label.json)'
            )
        self.ans2label_file = ans2label_file
        self.drop_unknown_answers = drop_unknown_answers
        self._check_choice('missing_videos', missing_videos, ('warn', 'error'))
        self.missing_videos = missing_videos
        self.ans2label: dict[str, int] = {}
        self.num_unknown_answers = 0
        super().__init__(ann_file=ann_file, **kwargs)

    def load_answer_vocabulary(self) -> dict[str, int]:
        """Read and check ``ans2label_file``."""
        return read_answer_vocabulary(self.ans2label_file)

    def load_annotations(self) -> tuple[list[dict], list[dict]]:
        """Parse the files; see the class docstring."""
        self.ans2label = self.load_answer_vocabulary()
        texts_by_video: dict[str, list[dict]] = {}
        unknown = 0
        for line_no, record in read_jsonl_lines(self.ann_file, QA_FIELDS):
            where = f'{self.ann_file}: line {line_no}'
            question = check_text(record['question'], where, 'question')
            video_id = record['video_id']
            if isinstance(video_id, int) and not isinstance(video_id, bool):
                video_id = str(video_id)  # MSVD-QA's numeric ids
            video_id = check_text(video_id, where, 'video_id')
            answer = record['answer']
            if not isinstance(answer, str):
                raise ValueError(
                    f"{where}: field 'answer' must be a string, got {answer!r}"
                )
            gt_answer = self.ans2label.get(answer, -1)
            unknown += gt_answer < 0
            if gt_answer < 0 and self.drop_unknown_answers:
                continue
            texts_by_video.setdefault(video_id, []).append(
                dict(
                    caption=question,
                    gt_answer=gt_answer,
                    answer=answer,
                    answer_type=record.get('answer_type', ''),
                    ann_line=line_no,
                )
            )
        self.num_unknown_answers = unknown
        if unknown:
            print_log(
                f'{type(self).__name__}: {unknown} answers of '
                f'{self.ann_file} are not in {self.ans2label_file} ('
                + (
                    'left out: drop_unknown_answers=True)'
                    if self.drop_unknown_answers
                    else 'gt_answer=-1: they count as wrong)'
                ),
                logger='current',
                level=logging.WARNING,
            )
        return self.group_texts(texts_by_video)

    def _set_annotations(self, videos: list[dict], texts: list[dict]) -> None:
        """Also name the questions about missing videos (see the class
        docstring)."""
        super()._set_annotations(videos, texts)
        if not self.missing_video_ids:
            return
        missing = set(self.missing_video_ids)
        lines = [
            t['ann_line']
            for t in texts
            if videos[t['video_index']]['video_id'] in missing
        ]
        first = self.missing_video_ids[0]
        first_line = next(
            t['ann_line']
            for t in texts
            if videos[t['video_index']]['video_id'] == first
        )
        message = (
            f'{self.ann_file}: {len(lines)} questions ask about '
            f'{len(missing)} videos missing under '
            f'{self.data_prefix["video"]!r}, e.g. {first!r} (line '
            f'{first_line}); lines {lines[:10]}'
            + ('...' if len(lines) > 10 else '')
        )
        if self.missing_videos == 'error':
            raise FileNotFoundError(message)
        print_log(message, logger='current', level=logging.WARNING)
