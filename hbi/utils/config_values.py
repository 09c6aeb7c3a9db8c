"""Typed ``--cfg-options`` values: parsed and checked against what the key
holds.

mmengine's ``DictAction`` guesses a type from the text alone (``no`` stays
the string ``'no'``, which a boolean option then reads as True) and deletes
every space inside a value (``data_root=/my data`` becomes ``/mydata``). We
keep the text as typed (:class:`ConfigOptionsAction`) and convert it once the
config is read, to the type of the value the key holds or, for a constructor
argument the config leaves at its default, to the argument's annotation.
"""

import argparse
import ast
import collections.abc
import inspect
import typing
from typing import Any, Dict, Optional, Sequence, Tuple

TRUE_WORDS = ('true', 'yes', 'y', 'on', '1')
FALSE_WORDS = ('false', 'no', 'n', 'off', '0')
NONE_WORDS = ('none', 'null')


class ConfigValueError(ValueError):
    """An override whose value does not fit the key (the key is named)."""


class CommandLineValue(str):
    """The text of one ``KEY=VALUE`` exactly as typed on the command line,
    to be converted by :func:`convert_value` (a plain ``str`` given through
    the Python API is a string and is only checked)."""


class ConfigOptionsAction(argparse.Action):
    """``--cfg-options KEY=VALUE ...`` into ``{KEY: CommandLineValue}``.

    Unlike mmengine's ``DictAction`` nothing is converted or stripped here:
    :func:`hbi.utils.load_config` converts each value to the type of the
    key. A token without ``=`` is an argparse error naming it.
    """

    def __call__(self, parser, namespace, values, option_string=None):
        options = dict(getattr(namespace, self.dest, None) or {})
        for token in values:
            key, sep, text = token.partition('=')
            if not sep or not key:
                parser.error(
                    f'{option_string}: expected KEY=VALUE, got {token!r}'
                )
            options[key.strip()] = CommandLineValue(text)
        setattr(namespace, self.dest, options)


# -- what a key expects ------------------------------------------------------
class Expected(typing.NamedTuple):
    """What a key accepts: ``kinds`` (``bool``, ``int``, ``float``, ``str``,
    ``list``, ``dict``; empty = anything), whether ``None`` is allowed,
    ``choices`` of a ``Literal`` and the element kinds of a sequence."""

    kinds: Tuple[type, ...] = ()
    allow_none: bool = True
    choices: Tuple[Any, ...] = ()
    items: Optional['Expected'] = None
    source: str = ''

    @property
    def anything(self) -> bool:
        return not self.kinds and not self.choices


ANYTHING = Expected()


def expected_from_value(value: Any, annotation: Expected) -> Expected:
    """What a key holding ``value`` accepts: the value's own kind (a
    sequence's elements too when they share one), ``None`` only if the
    annotation allows it."""
    if value is None:
        return annotation
    kinds: Tuple[type, ...]
    items = None
    if isinstance(value, bool):
        kinds = (bool,)
    elif isinstance(value, int):
        kinds = (int,)
    elif isinstance(value, float):
        kinds = (float,)
    elif isinstance(value, str):
        kinds = (str,)
    elif isinstance(value, (list, tuple)):
        kinds = (list,)
        members = {expected_from_value(v, ANYTHING).kinds for v in value}
        if len(members) == 1 and value:
            items = Expected(kinds=members.pop(), allow_none=False)
    elif isinstance(value, dict):
        kinds = (dict,)
    else:
        return annotation
    return Expected(
        kinds=kinds,
        allow_none=annotation.allow_none,
        choices=annotation.choices,
        items=items,
        source=f'the config holds {value!r}',
    )


def expected_from_annotation(annotation: Any) -> Expected:
    """What a constructor argument annotated ``annotation`` accepts (an
    annotation we cannot read accepts anything)."""
    if annotation is inspect.Parameter.empty or annotation is Any:
        return ANYTHING
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Union:
        parts = [expected_from_annotation(a) for a in args if a is not None]
        allow_none = type(None) in args
        if any(p.anything for p in parts):
            return Expected(allow_none=True)
        kinds = tuple(k for p in parts for k in p.kinds)
        choices = tuple(c for p in parts for c in p.choices)
        items = next((p.items for p in parts if p.items), None)
        return Expected(kinds, allow_none, choices, items, str(annotation))
    if origin is typing.Literal:
        return Expected((), False, tuple(args), None, str(annotation))
    simple = {bool: bool, int: int, float: float, str: str}
    if annotation in simple:
        return Expected((annotation,), False, source=annotation.__name__)
    if annotation in (list, tuple) or origin in (
        list,
        tuple,
        typing.Sequence,
        collections.abc.Sequence,
    ):
        items = None
        if args and args[-1] is not Ellipsis and len(set(args)) == 1:
            items = expected_from_annotation(args[0])
        elif len(args) == 2 and args[1] is Ellipsis:
            items = expected_from_annotation(args[0])
        if items is not None and items.anything:
            items = None
        return Expected((list,), False, (), items, str(annotation))
    if annotation is dict or origin in (dict, typing.Mapping):
        return Expected((dict,), False, source=str(annotation))
    return ANYTHING


# -- parsing command-line text ----------------------------------------------
def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in '\'"':
        return text[1:-1]
    return text


def _split_items(body: str) -> list:
    """Split ``a, (b, c), 'd e'`` at top-level commas (brackets and quotes
    kept together; spaces around items dropped, spaces inside kept)."""
    items, depth, quote, start = [], 0, '', 0
    for i, char in enumerate(body):
        if quote:
            quote = '' if char == quote else quote
        elif char in '\'"':
            quote = char
        elif char in '([':
            depth += 1
        elif char in ')]':
            depth -= 1
        elif char == ',' and depth == 0:
            items.append(body[start:i])
            start = i + 1
    if quote or depth:
        raise ValueError(f'unbalanced brackets or quotes in {body!r}')
    tail = body[start:]
    if tail.strip() or items:
        items.append(tail)
    return [item for item in items if item.strip()]


def parse_free(text: str) -> Any:
    """Read a value whose key gives no type, as mmengine does (``None``,
    booleans, numbers, ``[..]``/``(..)``/``a,b`` lists), keeping spaces
    inside values."""
    text = text.strip()
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        pass
    lowered = text.lower()
    if lowered in NONE_WORDS:
        return None
    if lowered in ('true', 'false'):
        return lowered == 'true'
    if text[:1] in '([' and text[-1:] in ')]':
        values = [parse_free(item) for item in _split_items(text[1:-1])]
        return tuple(values) if text[0] == '(' else values
    if ',' in text:
        return [parse_free(item) for item in _split_items(text)]
    return _unquote(text)


def _parse_as(text: str, kind: type) -> Any:
    stripped = _unquote(text)
    if kind is bool:
        word = stripped.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValueError(
            'expected a boolean: one of '
            f'{", ".join(TRUE_WORDS)} or {", ".join(FALSE_WORDS)}'
        )
    if kind is int:
        return int(stripped)
    if kind is float:
        return float(stripped)
    if kind is str:
        return stripped
    raise ValueError(f'cannot be given as {kind.__name__} on the command line')


def _sequence_items(text: str) -> list:
    text = text.strip()
    if text[:1] in '([' and text[-1:] in ')]':
        text = text[1:-1]
    return _split_items(text)


def _describe(expected: Expected) -> str:
    names = {
        bool: 'a boolean',
        int: 'an integer',
        float: 'a number',
        str: 'a string',
        list: 'a list',
        dict: 'a dict (a config section: set its keys one by one)',
    }
    parts = [names[k] for k in expected.kinds]
    if expected.choices:
        parts.append(f'one of {list(expected.choices)}')
    if expected.allow_none:
        parts.append('None')
    text = ' or '.join(parts) or 'anything'
    return f'{text} ({expected.source})' if expected.source else text


# -- conversion and checking ------------------------------------------------
def _fits(value: Any, expected: Expected) -> bool:
    if value is None:
        return expected.allow_none
    if expected.anything:
        return True
    if expected.choices and value in expected.choices:
        return True
    for kind in expected.kinds:
        if kind is bool and isinstance(value, bool):
            return True
        if kind is int and isinstance(value, int):
            return not isinstance(value, bool)
        if kind is float and isinstance(value, (int, float)):
            return not isinstance(value, bool)
        if kind is str and isinstance(value, str):
            return True
        if kind is list and isinstance(value, (list, tuple)):
            return expected.items is None or all(
                _fits(v, expected.items) for v in value
            )
        if kind is dict and isinstance(value, dict):
            return True
    return False


def _convert_text(text: str, expected: Expected, like: Any) -> Any:
    if _unquote(text).lower() in NONE_WORDS and (
        expected.allow_none or str not in expected.kinds
    ):
        return None
    if expected.anything:
        return parse_free(text)
    errors = []
    for kind in expected.kinds:
        try:
            if kind is list:
                items = _sequence_items(text)
                inner = expected.items or ANYTHING
                values = [_convert_text(v, inner, None) for v in items]
                return tuple(values) if isinstance(like, tuple) else values
            return _parse_as(text, kind)
        except ValueError as e:
            errors.append(str(e))
    if expected.choices:
        return _unquote(text)  # checked against the choices by the caller
    raise ValueError('; '.join(errors))


def convert_value(key: str, value: Any, expected: Expected, like: Any) -> Any:
    """Convert a :class:`CommandLineValue` to what ``key`` expects and check
    any value against it.

    Args:
        key (str): The dotted key, named in errors.
        value: The override (text from the command line, or a Python value).
        expected (Expected): What the key accepts.
        like: The value the config holds (a tuple stays a tuple).

    Returns:
        The value to merge.

    Raises:
        ConfigValueError: Naming the key, what it expects and the value.
    """
    if isinstance(value, CommandLineValue):
        try:
            converted = _convert_text(value, expected, like)
        except ValueError as e:
            raise ConfigValueError(
                f'--cfg-options {key}={value!s}: {key} expects '
                f'{_describe(expected)}; cannot read {str(value)!r} ({e})'
            ) from None
    else:
        converted = value
    if not _fits(converted, expected):
        raise ConfigValueError(
            f'{key}={converted!r}: {key} expects {_describe(expected)}, got '
            f'{type(converted).__name__} {converted!r}'
        )
    return converted


def constructor_parameter(cls: Any, name: str) -> Optional[inspect.Parameter]:
    """The ``__init__`` parameter ``name`` of ``cls`` or of a class in its
    MRO, with its annotation resolved where possible."""
    for klass in getattr(cls, '__mro__', [cls]):
        init = getattr(klass, '__init__', None)
        try:
            params = inspect.signature(init).parameters
        except (TypeError, ValueError):
            continue
        if name in params:
            param = params[name]
            try:
                hints = typing.get_type_hints(init)
            except Exception:  # forward references we cannot resolve
                hints = {}
            return param.replace(annotation=hints.get(name, param.annotation))
    return None


def expected_for_parameter(param: Optional[inspect.Parameter]) -> Expected:
    """What an argument accepts: its annotation, else its default's kind
    (``None`` allowed when that is the default)."""
    if param is None:
        return ANYTHING
    expected = expected_from_annotation(param.annotation)
    if expected.anything and param.default not in (param.empty, None):
        return expected_from_value(param.default, ANYTHING)._replace(
            allow_none=True, source=f'default {param.default!r}'
        )
    if param.default is None:
        expected = expected._replace(allow_none=True)
    return expected


def convert_options(
    options: Dict[str, Any],
    lookup: typing.Callable[[str], Tuple[Any, Expected]],
) -> Dict[str, Any]:
    """:func:`convert_value` for every option; ``lookup(key)`` gives the
    value the config holds (or None) and what the key accepts."""
    out = {}
    for key, value in options.items():
        like, expected = lookup(key)
        out[key] = convert_value(key, value, expected, like)
    return out


def first_difference(a: Any, b: Any, path: Sequence[str] = ()) -> list:
    """Dotted paths (list indices as numbers) where ``a`` and ``b``
    differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in list(a) + [k for k in b if k not in a]:
            if key not in a or key not in b:
                out.append('.'.join([*path, str(key)]))
            else:
                out += first_difference(a[key], b[key], [*path, str(key)])
        return out
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            return ['.'.join(path)]
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += first_difference(x, y, [*path, str(i)])
        return out
    return [] if a == b else ['.'.join(path)]
