"""Readers for annotation files that name the file, line and field on errors.

We write these instead of calling ``csv``/``json``/``mmengine.load`` directly
because those report a malformed row without the file name, or not at all (a
short csv row silently yields ``None`` values), and a byte that is not UTF-8
as a bare ``UnicodeDecodeError`` with a byte offset. Every text file is read
through :func:`read_text` (UTF-8, an optional byte-order mark dropped).
"""

import csv
import io
import json
import os.path as osp
import pickle
import re
from typing import Any, Sequence


def _check_file(path: str) -> None:
    if not osp.isfile(path):
        raise FileNotFoundError(f'annotation file not found: {path}')


def read_text(path: str) -> str:
    """The text of an annotation file, decoded as UTF-8 (a leading byte-order
    mark, as spreadsheets write, is dropped).

    Raises:
        FileNotFoundError: If ``path`` is not a file.
        ValueError: Naming the file, line and column of bytes that are not
            UTF-8 (``UnicodeDecodeError`` gives a byte offset only).
    """
    _check_file(path)
    with open(path, 'rb') as f:
        data = f.read()
    try:
        return data.decode('utf-8-sig')
    except UnicodeDecodeError as e:
        line_start = data.rfind(b'\n', 0, e.start) + 1
        line = data.count(b'\n', 0, e.start) + 1
        bad = data[e.start : e.end]
        raise ValueError(
            f'{path}: line {line} column {e.start - line_start + 1}: bytes '
            f'{bad!r} are not UTF-8 ({e.reason}); save the file as UTF-8'
        ) from None


def read_csv_rows(
    path: str, required_columns: Sequence[str] = ()
) -> list[dict]:
    """Read a csv file with a header line into one dict per row.

    Args:
        path (str): The csv file.
        required_columns (Sequence[str]): Columns that the header must have
            and that must be non-empty in every row.

    Returns:
        list[dict]: ``{column: value}`` per data row, in file order.

    Raises:
        FileNotFoundError: If ``path`` is not a file.
        ValueError: Naming the file, line and column, for a missing header
            column, a row with the wrong number of columns or an empty
            required value.
    """
    with io.StringIO(read_text(path), newline='') as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            raise ValueError(
                f'{path}: line 1: empty file, expected a header '
                f'with columns {list(required_columns)}'
            )
        header = [h.strip() for h in header]
        for column in required_columns:
            if column not in header:
                raise ValueError(
                    f'{path}: line 1: header {header} has no column {column!r}'
                )
        rows = []
        for values in reader:
            line = reader.line_num
            if not values:  # blank line
                continue
            if len(values) != len(header):
                raise ValueError(
                    f'{path}: line {line}: expected {len(header)} columns '
                    f'{header}, got {len(values)}: {values}'
                )
            row = dict(zip(header, values))
            for column in required_columns:
                if not row[column].strip():
                    raise ValueError(
                        f'{path}: line {line}: column {column!r} is empty'
                    )
            rows.append(row)
    return rows


def read_json(path: str) -> Any:
    """Read a json file.

    Raises:
        FileNotFoundError: If ``path`` is not a file.
        ValueError: Naming the file, line and column of a syntax error.
    """
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError as e:
        raise ValueError(
            f'{path}: line {e.lineno} column {e.colno}: invalid JSON: {e.msg}'
        ) from e


def check_fields(record: Any, fields: Sequence[str], where: str) -> None:
    """Raise ValueError naming ``where`` and the field if ``record`` (a dict)
    lacks one of ``fields``."""
    if not isinstance(record, dict):
        raise ValueError(
            f'{where}: expected an object, got {type(record).__name__}'
        )
    for field in fields:
        if field not in record:
            raise ValueError(
                f'{where}: missing field {field!r} (has {sorted(record)})'
            )


def read_jsonl_lines(
    path: str, required_fields: Sequence[str] = ()
) -> list[tuple[int, dict]]:
    """As :func:`read_jsonl`, with each record's line number:
    ``[(line_no, record), ...]`` (for errors found after reading)."""
    records = []
    with io.StringIO(read_text(path), newline=None) as f:
        for line_no, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(
                    f'{path}: line {line_no} column {e.colno}: '
                    f'invalid JSON: {e.msg}'
                ) from e
            check_fields(record, required_fields, f'{path}: line {line_no}')
            records.append((line_no, record))
    return records


def read_jsonl(path: str, required_fields: Sequence[str] = ()) -> list[dict]:
    """Read a JSON-lines file (one object per line; blank lines skipped; the
    last line may lack its newline).

    Args:
        path (str): The ``.jsonl`` file.
        required_fields (Sequence[str]): Fields every record must have.

    Returns:
        list[dict]: The records in file order.

    Raises:
        FileNotFoundError: If ``path`` is not a file.
        ValueError: Naming the file, line and field for invalid JSON, a
            non-object line or a missing field.
    """
    return [record for _, record in read_jsonl_lines(path, required_fields)]


def check_text(value: Any, where: str, field: str = 'caption') -> str:
    """Return ``value`` stripped, or raise ValueError naming ``where`` and
    ``field`` if it is not a string or is empty (non-ASCII text is kept: the
    byte-level BPE tokenizer encodes any UTF-8 text)."""
    if not isinstance(value, str):
        raise ValueError(
            f'{where}: field {field!r} must be a string, got '
            f'{type(value).__name__} {value!r}'
        )
    if not value.strip():
        raise ValueError(f'{where}: field {field!r} is empty ({value!r})')
    return value.strip()


def read_text_list(path: str) -> list[str]:
    """Read a list of ids, one per line (surrounding blanks stripped, blank
    lines skipped), e.g. MSVD's ``train_list.txt``.

    Raises:
        FileNotFoundError: If ``path`` is not a file.
        ValueError: Naming the file and line of an id listed twice, or if the
            file lists no id.
    """
    ids: list[str] = []
    first_line: dict[str, int] = {}
    with io.StringIO(read_text(path), newline=None) as f:
        for line_no, line in enumerate(f, start=1):
            item = line.strip()
            if not item:
                continue
            if item in first_line:
                raise ValueError(
                    f'{path}: line {line_no}: id {item!r} '
                    f'already listed on line {first_line[item]}'
                )
            first_line[item] = line_no
            ids.append(item)
    if not ids:
        raise ValueError(f'{path}: lists no id')
    return ids


def read_pickle(path: str) -> Any:
    """Load a pickle file (trusted annotation files only, e.g. MSVD's
    ``raw-captions.pkl``).

    Raises:
        FileNotFoundError: If ``path`` is not a file.
        ValueError: Naming the file if it is not a valid pickle.
    """
    _check_file(path)
    with open(path, 'rb') as f:
        try:
            return pickle.load(f)
        except (
            pickle.UnpicklingError,
            EOFError,
            AttributeError,
            ImportError,
            IndexError,
        ) as e:
            raise ValueError(f'{path}: not a valid pickle file: {e}') from e


def read_tsv_rows(path: str, min_columns: int) -> list[tuple[int, list[str]]]:
    """Read a tab-separated file without header (e.g. LSMDC's csv files).

    Args:
        path (str): The file.
        min_columns (int): Fewest tab-separated fields a line must have.

    Returns:
        list[tuple[int, list[str]]]: ``(line number, fields)`` per non-blank
        line, fields stripped of the line end.

    Raises:
        FileNotFoundError: If ``path`` is not a file.
        ValueError: Naming the file and line of a line with too few fields.
    """
    rows = []
    with io.StringIO(read_text(path), newline=None) as f:
        for line_no, line in enumerate(f, start=1):
            line = line.rstrip('\r\n')
            if not line.strip():
                continue
            fields = line.split('\t')
            if len(fields) < min_columns:
                raise ValueError(
                    f'{path}: line {line_no}: expected at least '
                    f'{min_columns} tab-separated fields, got {len(fields)}: '
                    f'{line[:120]!r}'
                )
            rows.append((line_no, fields))
    return rows


def join_sentences(
    sentences: Any, where: str, field: str = 'sentences'
) -> tuple[str, int]:
    """Join a video's sentences into one paragraph (paragraph retrieval).

    Sentences are stripped and joined with one space, in the given order;
    empty sentences are left out and counted (the caller reports them).

    Args:
        sentences: The list of sentences of one video.
        where (str): File and entry, named in errors.
        field (str): The field named in errors. Defaults to ``'sentences'``.

    Returns:
        tuple[str, int]: The paragraph and the number of empty sentences.

    Raises:
        ValueError: Naming ``where`` if ``sentences`` is not a list of
            strings or has no non-empty sentence.
    """
    if not isinstance(sentences, list):
        raise ValueError(
            f'{where}: field {field!r} must be a list, got '
            f'{type(sentences).__name__}'
        )
    kept = []
    for i, sentence in enumerate(sentences):
        if not isinstance(sentence, str):
            raise ValueError(
                f'{where}: field {field!r}[{i}] must be a '
                f'string, got {type(sentence).__name__}'
            )
        if sentence.strip():
            kept.append(sentence.strip())
    if not kept:
        raise ValueError(
            f'{where}: field {field!r} has no non-empty '
            f'sentence ({sentences!r})'
        )
    return ' '.join(kept), len(sentences) - len(kept)


_JSON_KEY = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:')


class _Pairs(list):
    """The ``(key, value)`` pairs of one json object."""


def read_answer_vocabulary(path: str) -> dict:
    """Read a VideoQA answer vocabulary ``{answer: index}``, checked.

    The indices must be the integers 0..N-1, each used once (they are the
    classifier's outputs), and no answer may be listed twice (``json``
    would silently keep the last).

    Args:
        path (str): The json file.

    Returns:
        dict[str, int]: The vocabulary, in file order.

    Raises:
        FileNotFoundError: If ``path`` is not a file.
        ValueError: Naming the file, and the line of the entry, for a file
            that is not ``{str: int}``, an answer listed twice, two answers
            sharing an index, or indices that are not 0..N-1.
    """
    _check_file(path)
    with open(path, encoding='utf-8') as f:
        text = f.read()
    try:
        # Pairs in file order (a dict would hide repeated answers).
        pairs = json.loads(text, object_pairs_hook=_Pairs)
    except json.JSONDecodeError as e:
        raise ValueError(
            f'{path}: line {e.lineno} column {e.colno}: invalid JSON: {e.msg}'
        ) from e
    if not isinstance(pairs, _Pairs) or not all(
        isinstance(v, int) and not isinstance(v, bool) for _, v in pairs
    ):
        raise ValueError(f'{path}: expected an object {{answer: index}}')
    if not pairs:
        raise ValueError(f'{path}: the vocabulary lists no answer')
    # Lines of the keys, in order (the object is flat: one key per pair).
    offsets = [m.start() for m in _JSON_KEY.finditer(text)]
    lines = (
        [text.count('\n', 0, o) + 1 for o in offsets]
        if len(offsets) == len(pairs)
        else [None] * len(pairs)
    )

    def where(i: int) -> str:
        return f'{path}: line {lines[i]}' if lines[i] else path

    first_of_answer: dict = {}
    first_of_index: dict = {}
    for i, (answer, index) in enumerate(pairs):
        if answer in first_of_answer:
            raise ValueError(
                f'{where(i)}: answer {answer!r} is listed twice (first '
                f'on line {lines[first_of_answer[answer]]})'
            )
        if index in first_of_index:
            j = first_of_index[index]
            raise ValueError(
                f'{where(i)}: answers {pairs[j][0]!r} (line {lines[j]}) and '
                f'{answer!r} share the index {index}'
            )
        if not 0 <= index < len(pairs):
            raise ValueError(
                f'{where(i)}: answer {answer!r} has index {index}; the '
                f'{len(pairs)} indices must be 0..{len(pairs) - 1}'
            )
        first_of_answer[answer], first_of_index[index] = i, i
    return dict(pairs)
