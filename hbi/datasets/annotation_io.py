"""Readers for annotation files that name the file, line and field on errors.

We write these instead of calling ``csv``/``json``/``mmengine.load`` directly
because those report a malformed row without the file name, or not at all (a
short csv row silently yields ``None`` values).
"""
import csv
import json
import os.path as osp
from typing import Any, Sequence


def _check_file(path: str) -> None:
    if not osp.isfile(path):
        raise FileNotFoundError(f'annotation file not found: {path}')


def read_csv_rows(path: str,
                  required_columns: Sequence[str] = ()) -> list[dict]:
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
    _check_file(path)
    with open(path, newline='', encoding='utf-8') as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            raise ValueError(f'{path}: line 1: empty file, expected a header '
                             f'with columns {list(required_columns)}')
        header = [h.strip() for h in header]
        for column in required_columns:
            if column not in header:
                raise ValueError(f'{path}: line 1: header {header} has no '
                                 f'column {column!r}')
        rows = []
        for values in reader:
            line = reader.line_num
            if not values:  # blank line
                continue
            if len(values) != len(header):
                raise ValueError(
                    f'{path}: line {line}: expected {len(header)} columns '
                    f'{header}, got {len(values)}: {values}')
            row = dict(zip(header, values))
            for column in required_columns:
                if not row[column].strip():
                    raise ValueError(f'{path}: line {line}: column '
                                     f'{column!r} is empty')
            rows.append(row)
    return rows


def read_json(path: str) -> Any:
    """Read a json file.

    Raises:
        FileNotFoundError: If ``path`` is not a file.
        ValueError: Naming the file, line and column of a syntax error.
    """
    _check_file(path)
    with open(path, encoding='utf-8') as f:
        try:
            return json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f'{path}: line {e.lineno} column {e.colno}: '
                             f'invalid JSON: {e.msg}') from e


def check_fields(record: Any, fields: Sequence[str], where: str) -> None:
    """Raise ValueError naming ``where`` and the field if ``record`` (a dict)
    lacks one of ``fields``."""
    if not isinstance(record, dict):
        raise ValueError(f'{where}: expected an object, got '
                         f'{type(record).__name__}')
    for field in fields:
        if field not in record:
            raise ValueError(f'{where}: missing field {field!r} '
                             f'(has {sorted(record)})')


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
    _check_file(path)
    records = []
    with open(path, encoding='utf-8') as f:
        for line_no, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f'{path}: line {line_no} column {e.colno}: '
                                 f'invalid JSON: {e.msg}') from e
            check_fields(record, required_fields, f'{path}: line {line_no}')
            records.append(record)
    return records
