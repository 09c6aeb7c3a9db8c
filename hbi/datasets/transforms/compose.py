"""A pipeline of transform configs built with hbi's registry."""

from typing import Callable, Sequence, Union

from mmengine.dataset import Compose

from hbi.registry import TRANSFORMS


def build_transforms(cfgs: Sequence[Union[dict, Callable]]) -> Compose:
    # Built with hbi's registry so that names resolve without a default
    # scope (``mmaction.Resize`` etc. still resolve across scopes).
    return Compose(
        [
            TRANSFORMS.build(cfg) if isinstance(cfg, dict) else cfg
            for cfg in cfgs
        ]
    )
