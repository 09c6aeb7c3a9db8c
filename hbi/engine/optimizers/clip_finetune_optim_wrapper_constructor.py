"""Parameter groups of the released CLIP fine-tuning
(``docs/en/methods/hbi.md`` A9).

mmengine's ``DefaultOptimWrapperConstructor`` cannot express them: a
parameter matching a ``custom_keys`` entry (here every CLIP parameter, for
its lr x 1e-3) skips the ``bias_decay_mult`` / ``norm_decay_mult`` rules, so
CLIP's biases and LayerNorms would be decayed. This constructor builds the
release's four groups: {CLIP, new modules} x {decayed, not decayed}.
"""

from typing import List, Optional, Sequence

from mmengine.optim import DefaultOptimWrapperConstructor
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.instancenorm import _InstanceNorm

from hbi.registry import OPTIM_WRAPPER_CONSTRUCTORS

_NORMS = (nn.LayerNorm, nn.GroupNorm, _BatchNorm, _InstanceNorm)
_KEYS = ('clip_keys', 'clip_lr_mult', 'no_decay_bias', 'no_decay_norm')


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class CLIPFinetuneOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """Four parameter groups: CLIP or not, weight decay or not.

    ``paramwise_cfg`` keys (all optional):

    - ``clip_keys`` (Sequence[str]): name prefixes of the pretrained CLIP
      parameters. Defaults to ``('text_encoder.', 'video_encoder.',
      'logit_scale')`` (the release's ``clip.*``, ``logit_scale`` included).
    - ``clip_lr_mult`` (float): their lr multiplier. Defaults to 1e-3.
    - ``no_decay_bias`` (bool): no weight decay on parameters named
      ``*bias``. Defaults to True.
    - ``no_decay_norm`` (bool): no weight decay on parameters of norm layers
      (LayerNorm, GroupNorm, BatchNorm, InstanceNorm). Defaults to True.

    Parameters without ``requires_grad`` (the frozen teacher, estimators
    frozen for lack of a teacher) are left out. Empty groups are dropped.

    Args:
        optim_wrapper_cfg (dict): As for ``DefaultOptimWrapperConstructor``.
        paramwise_cfg (dict, optional): See above. Defaults to None.
    """

    def __init__(
        self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None
    ) -> None:
        paramwise_cfg = dict(paramwise_cfg or {})
        unknown = sorted(set(paramwise_cfg) - set(_KEYS))
        if unknown:
            raise ValueError(
                f'{type(self).__name__}: unknown paramwise_cfg '
                f'keys {unknown}; allowed: {list(_KEYS)}'
            )
        paramwise_cfg.setdefault(
            'clip_keys', ('text_encoder.', 'video_encoder.', 'logit_scale')
        )
        paramwise_cfg.setdefault('clip_lr_mult', 1e-3)
        paramwise_cfg.setdefault('no_decay_bias', True)
        paramwise_cfg.setdefault('no_decay_norm', True)
        super().__init__(optim_wrapper_cfg, paramwise_cfg)

    def add_params(
        self,
        params: List[dict],
        module: nn.Module,
        prefix: str = '',
        is_dcn_module: Optional[float] = None,
    ) -> None:
        """Append the four groups of ``module``'s parameters to ``params``."""
        cfg = self.paramwise_cfg
        clip_keys: Sequence[str] = tuple(cfg['clip_keys'])
        norm_params = {
            id(p)
            for m in module.modules()
            if isinstance(m, _NORMS)
            for p in m.parameters(recurse=False)
        }
        groups = {}
        for name, param in module.named_parameters():
            if not param.requires_grad:
                continue
            is_clip = name.startswith(clip_keys)
            no_decay = (cfg['no_decay_bias'] and name.endswith('bias')) or (
                cfg['no_decay_norm'] and id(param) in norm_params
            )
            groups.setdefault((is_clip, no_decay), []).append(param)
        for (is_clip, no_decay), group in sorted(groups.items()):
            entry = dict(params=group)
            entry['lr'] = self.base_lr * (
                cfg['clip_lr_mult'] if is_clip else 1.0
            )
            if self.base_wd is not None:
                entry['weight_decay'] = 0.0 if no_decay else self.base_wd
            params.append(entry)
