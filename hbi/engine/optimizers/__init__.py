from .clip_finetune_optim_wrapper_constructor import (
    CLIPFinetuneOptimWrapperConstructor,
)
from .warmup_cosine_lr import (
    WarmupCosineLR,
    WarmupCosineParamScheduler,
    warmup_cosine_factor,
)

__all__ = [
    'CLIPFinetuneOptimWrapperConstructor',
    'WarmupCosineLR',
    'WarmupCosineParamScheduler',
    'warmup_cosine_factor',
]
