"""mmengine's Runner, able to load its own and the released checkpoints."""
import re
from typing import Callable, List, Tuple, Union

from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint

from hbi.models.backbones.openai_clip_conversion import (
    load_state_dict_checked, read_state_dict)
from hbi.models.retrievers.released_hbi_checkpoint import \
    convert_foreign_checkpoint
from hbi.registry import RUNNERS
from hbi.utils.checkpoint_compat import trusted_checkpoint_globals


def _read_checkpoint(filename: str, map_location) -> dict:
    """mmengine's reader; OpenAI's TorchScript archives (which ``torch.load``
    hands to ``torch.jit.load``) are read with :func:`read_state_dict`."""
    with trusted_checkpoint_globals():
        checkpoint = _load_checkpoint(filename, map_location=map_location)
    if not isinstance(checkpoint, dict) and hasattr(checkpoint, 'state_dict'):
        checkpoint = read_state_dict(filename)
    return checkpoint


@RUNNERS.register_module()
class HBIRunner(Runner):
    """:class:`mmengine.runner.Runner` that loads the project's checkpoints
    under torch >= 2.6 and converts foreign layouts on load.

    - torch >= 2.6 unpickles with ``weights_only=True``; mmengine 0.10.7 saves
      ``HistoryBuffer`` objects and NumPy arrays in every checkpoint, so the
      stock runner cannot ``resume`` (nor ``load_from``) its own files. The
      allow-list is applied only around these loads, see
      :mod:`hbi.utils.checkpoint_compat`.
    - :meth:`load_checkpoint` (``load_from``, ``tools/test.py CONFIG CKPT``)
      accepts the released HBI ``pytorch_model.bin`` and CLIP4Clip
      checkpoints (converted with
      :func:`hbi.models.retrievers.released_hbi_checkpoint.convert_foreign_checkpoint`)
      and OpenAI CLIP files (towers and ``logit_scale`` only, e.g. for a
      zero-shot meanP evaluation).
    - Every load is checked: missing keys, unexpected keys and shape
      mismatches are one error listing them all (mmengine's default,
      ``strict=False``, would only warn and evaluate a half-random model).
    """

    def load_checkpoint(self,
                        filename: str,
                        map_location: Union[str, Callable] = 'cpu',
                        strict: bool = False,
                        revise_keys: List[Tuple[str, str]] = [(r'^module.',
                                                               '')]):
        """Load ``filename`` into the model; see the class docstring.

        ``strict`` is accepted for mmengine's signature; loads are always
        checked. Returns the checkpoint (for a foreign file, an mmengine-style
        ``{'state_dict': converted, 'meta': {...}}``).

        Raises:
            ValueError: An unknown layout, or names / shapes that do not match
                the model (all listed).
        """
        checkpoint = _read_checkpoint(filename, map_location)
        if not isinstance(checkpoint, dict):
            raise ValueError(f'{filename}: expected a dict checkpoint, got '
                             f'{type(checkpoint).__name__}')
        state_dict = checkpoint.get('state_dict', checkpoint)
        if not isinstance(state_dict, dict):
            raise ValueError(f'{filename}: "state_dict" is not a dict')
        for pattern, replacement in revise_keys:
            state_dict = {
                re.sub(pattern, replacement, k): v
                for k, v in state_dict.items()
            }
        layout, converted = convert_foreign_checkpoint(state_dict)
        if layout == 'estimator':
            raise ValueError(
                f'{filename} holds only a Banzhaf estimator (teacher); give '
                'it as model.head.teacher_checkpoint, not as a model '
                'checkpoint')
        if layout != 'hbi':
            checkpoint = dict(
                state_dict=converted,
                meta=dict(source=filename, source_layout=layout))
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(
            self.model) else self.model
        if layout == 'openai_clip':
            self._load_openai_clip(model, converted, filename)
        else:
            load_state_dict_checked(model, converted, source=filename)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename} (layout: {layout})')
        return checkpoint

    def _load_openai_clip(self, model, converted: dict, filename: str) -> None:
        """Towers and ``logit_scale`` from an OpenAI CLIP file, checked per
        tower; other modules keep their initialisation (logged)."""
        for name in ('text_encoder', 'video_encoder'):
            part = {
                k[len(name) + 1:]: v
                for k, v in converted.items() if k.startswith(name + '.')
            }
            load_state_dict_checked(
                getattr(model, name), part, source=filename)
        if 'logit_scale' in converted:
            model.logit_scale.data.copy_(converted['logit_scale'])
        others = [
            k for k in model.state_dict()
            if not k.startswith(('text_encoder.', 'video_encoder.',
                                 'logit_scale'))
        ]
        if others:
            self.logger.warning(
                f'{filename} is an OpenAI CLIP file: {len(others)} entries '
                f'outside the towers keep their initialisation, e.g. '
                f'{others[:5]}')

    def resume(self, filename: str, *args, **kwargs) -> None:
        with trusted_checkpoint_globals():
            return super().resume(filename, *args, **kwargs)
