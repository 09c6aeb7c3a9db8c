from .epoch_seeding_hook import EpochSeedingHook
from .logit_scale_clamp_hook import LogitScaleClampHook

__all__ = ['EpochSeedingHook', 'LogitScaleClampHook']
