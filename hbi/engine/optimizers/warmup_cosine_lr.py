"""The release's ``warmup_cosine`` learning-rate schedule
(``docs/en/methods/hbi.md``
A9).

CLIP4Clip / HBI train with ``BertAdam(schedule='warmup_cosine')``, whose
factor at optimiser step ``s`` (counted from 0) of ``T`` is, with
``x = s / T`` and ``w`` the warm-up proportion (0.1)::

    x / w                      if x < w
    0.5 * (1 + cos(pi * x))    otherwise

The cosine runs over the WHOLE schedule (not from the end of the warm-up),
so the factor drops from 1 to 0.5 (1 + cos(0.1 pi)) ~ 0.976 right after the
warm-up, and the first step has factor 0. mmengine's ``LinearLR`` +
``CosineAnnealingLR`` cannot express that (their cosine restarts at the end
of the warm-up and ``LinearLR`` cannot start at 0), hence this scheduler.
"""

import math
from typing import Union

from mmengine.optim import BaseOptimWrapper
from mmengine.optim.scheduler.lr_scheduler import LRSchedulerMixin
from mmengine.optim.scheduler.param_scheduler import INF, _ParamScheduler
from torch.optim import Optimizer

from hbi.registry import PARAM_SCHEDULERS


def warmup_cosine_factor(progress: float, warmup: float) -> float:
    """The release's ``warmup_cosine(x, warmup)``.

    Args:
        progress (float): x = step / total steps, in [0, 1].
        warmup (float): Warm-up proportion of the schedule.

    Returns:
        float: The learning-rate factor.
    """
    if progress < warmup:
        return progress / warmup
    return 0.5 * (1.0 + math.cos(math.pi * progress))


class WarmupCosineParamScheduler(_ParamScheduler):
    """``value = base * warmup_cosine_factor((step - begin) / (end - begin),
    warmup)``, a closed form of the step (so resuming is exact).

    Args:
        optimizer (Optimizer | BaseOptimWrapper): Wrapped optimizer.
        param_name (str): Scheduled parameter, e.g. ``'lr'``.
        warmup (float): Warm-up proportion of ``end - begin``, in [0, 1).
            Defaults to 0.1 (released ``warmup_proportion``).
        begin (int): First step. Defaults to 0.
        end (int): Step after the last one (must be finite: the cosine needs
            the schedule's length).
        last_step (int): Defaults to -1.
        by_epoch (bool): Defaults to True; give ``convert_to_iter_based=True``
            in the config to step every iteration as the release does.
        verbose (bool): Defaults to False.
    """

    def __init__(
        self,
        optimizer: Union[Optimizer, BaseOptimWrapper],
        param_name: str,
        warmup: float = 0.1,
        begin: int = 0,
        end: int = INF,
        last_step: int = -1,
        by_epoch: bool = True,
        verbose: bool = False,
    ) -> None:
        if end == INF:
            raise ValueError(
                f'{type(self).__name__}: end must be given (the '
                'cosine spans the whole schedule)'
            )
        if not 0 <= warmup < 1:
            raise ValueError(
                f'{type(self).__name__}: warmup must be in [0, '
                f'1), got {warmup}'
            )
        self.warmup = warmup
        super().__init__(
            optimizer,
            param_name=param_name,
            begin=begin,
            end=end,
            last_step=last_step,
            by_epoch=by_epoch,
            verbose=verbose,
        )

    @classmethod
    def build_iter_from_epoch(
        cls,
        *args,
        begin: float = 0,
        end: float = INF,
        by_epoch: bool = True,
        epoch_length: int = None,
        **kwargs,
    ):
        """Iteration-based instance from epoch-based ``begin``/``end``."""
        if not by_epoch or not epoch_length:
            raise ValueError(
                'build_iter_from_epoch needs by_epoch=True and '
                f'a positive epoch_length, got {epoch_length}'
            )
        end = int(end * epoch_length) if end != INF else end
        return cls(
            *args,
            begin=int(begin * epoch_length),
            end=end,
            by_epoch=False,
            **kwargs,
        )

    def _get_value(self) -> list:
        progress = self.last_step / (self.end - self.begin)
        factor = warmup_cosine_factor(progress, self.warmup)
        return [base * factor for base in self.base_values]


@PARAM_SCHEDULERS.register_module()
class WarmupCosineLR(LRSchedulerMixin, WarmupCosineParamScheduler):
    """:class:`WarmupCosineParamScheduler` of the learning rate.

    Registered in hbi's ``PARAM_SCHEDULERS`` (``default_scope='hbi'``).
    """
