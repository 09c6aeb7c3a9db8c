"""Interaction heads run in float32, also inside mixed-precision regions.

Under ``torch.autocast`` (``tools/train.py --amp``, a test loop with
``fp16=True``) the CLIP towers and the temporal module profit from half
precision; the heads do not need it (they are a few percent of a step) and
break in float16:

- the released padding logit -9e15 (``masked_token_weights``) does not fit
  in float16;
- ``exp`` of the merge scores overflows above 11;
- the estimator's unscaled attention logits (A7) overflow;
- bfloat16 cosines keep 3 significant digits, so near-equal similarities
  tie and rankings change.

:func:`full_precision` wraps a head method: when autocast is on, floating
tensors among its arguments (also inside dicts, lists and tuples) are cast to
float32 and the method runs with autocast off; otherwise it is called as is.
"""

import contextlib
import functools
from typing import Any, Callable, TypeVar

import torch

from hbi.utils.distributed import map_tensors

Method = TypeVar('Method', bound=Callable[..., Any])
# Device types whose autocast state is checked (and switched off).
AUTOCAST_DEVICES = ('cuda', 'cpu')


def _autocast_devices_on() -> tuple:
    return tuple(
        device
        for device in AUTOCAST_DEVICES
        if torch.is_autocast_enabled(device)
    )


def to_float32(value: Any) -> Any:
    """``value`` with every floating tensor in it (also inside dicts, lists
    and tuples) cast to float32."""
    return map_tensors(
        lambda t: t.float() if t.is_floating_point() else t, value
    )


def full_precision(method: Method) -> Method:
    """Decorator: run ``method`` in float32 with autocast off (see module)."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        devices = _autocast_devices_on()
        if not devices:
            return method(self, *args, **kwargs)
        args, kwargs = to_float32(args), to_float32(kwargs)
        with contextlib.ExitStack() as stack:
            for device in devices:
                stack.enter_context(torch.autocast(device, enabled=False))
            return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]
