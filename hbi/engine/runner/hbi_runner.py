"""mmengine's Runner, able to load its own and the released checkpoints."""

import os.path as osp
from typing import Callable, List, Optional, Tuple, Union

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

from hbi.engine.hooks.invalid_video_report_hook import InvalidVideoReportHook
from hbi.models.retrievers.model_checkpoint import (
    DEFAULT_REVISE_KEYS,
    load_converted_state,
    read_model_checkpoint,
)
from hbi.registry import RUNNERS
from hbi.utils.checkpoint_compat import trusted_checkpoint_globals
from hbi.utils.checkpoint_files import atomic_output

from .side_input_check import check_extra_loss_inputs


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
      accepts every layout of :mod:`hbi.models.retrievers.model_checkpoint`
      (hbi, released HBI, CLIP4Clip, OpenAI CLIP), checked.
    - Before training, the side inputs of the model's extra losses are
      checked against the training dataset
      (:func:`~hbi.engine.runner.side_input_check.check_extra_loss_inputs`).
    - Checkpoints are written atomically (:meth:`save_checkpoint`), and a
      file that is not a checkpoint is named as such on load.
    - Every run reports skipped videos: ``InvalidVideoReportHook`` is added
      when ``custom_hooks`` does not list it (it is silent unless a training
      dataset has ``skip_invalid=True``).
    """

    def build_train_loop(self, loop):
        loop = super().build_train_loop(loop)
        model = (
            self.model.module if is_model_wrapper(self.model) else self.model
        )
        check_extra_loss_inputs(model, loop.dataloader.dataset)
        return loop

    def register_hooks(
        self,
        default_hooks: Optional[dict] = None,
        custom_hooks: Optional[List[Union[Hook, dict]]] = None,
    ) -> None:
        """mmengine's hooks, plus ``InvalidVideoReportHook`` if missing."""
        custom_hooks = list(custom_hooks or [])
        names = [
            type(h).__name__
            if isinstance(h, Hook)
            else getattr(h.get('type'), '__name__', h.get('type'))
            for h in custom_hooks
        ]
        if not any(
            str(n).split('.')[-1] == 'InvalidVideoReportHook' for n in names
        ):
            custom_hooks.append(InvalidVideoReportHook())
        super().register_hooks(default_hooks, custom_hooks)

    def load_checkpoint(
        self,
        filename: str,
        map_location: Union[str, Callable] = 'cpu',
        strict: bool = False,
        revise_keys: List[Tuple[str, str]] = list(DEFAULT_REVISE_KEYS),
    ):
        """Load ``filename`` into the model; see the class docstring.

        ``strict`` is accepted for mmengine's signature; loads are always
        checked. Returns the checkpoint (for a foreign file, an mmengine-style
        ``{'state_dict': converted, 'meta': {...}}``).

        Raises:
            ValueError: An unknown layout, or names / shapes that do not match
                the model (all listed).
        """
        checkpoint, converted, layout = read_model_checkpoint(
            filename, map_location, revise_keys
        )
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = (
            self.model.module if is_model_wrapper(self.model) else self.model
        )
        load_converted_state(model, converted, layout, filename)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename} (layout: {layout})')
        return checkpoint

    def save_checkpoint(self, out_dir: str, filename: str, *args, **kwargs):
        """mmengine's ``save_checkpoint``, written to a temporary file then
        renamed: a full disk or a kill leaves the previous checkpoints and
        no truncated ``filename`` that ``--resume`` would pick up
        (mmengine writes the file in place)."""
        if '://' in str(out_dir) or not is_main_process():
            return super().save_checkpoint(out_dir, filename, *args, **kwargs)
        path = osp.join(out_dir, filename)
        try:
            with atomic_output(path) as tmp:
                super().save_checkpoint(
                    out_dir, osp.basename(tmp), *args, **kwargs
                )
        except OSError as e:
            raise OSError(
                e.errno,
                f'could not write checkpoint {path} ({e.strerror or e}); '
                'nothing was written under that name, earlier checkpoints '
                'are intact',
            ) from e

    def resume(self, filename: str, *args, **kwargs) -> None:
        with trusted_checkpoint_globals():
            return super().resume(filename, *args, **kwargs)
