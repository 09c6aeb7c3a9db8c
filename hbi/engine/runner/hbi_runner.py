"""mmengine's Runner, able to load its own and the released checkpoints."""

from typing import Callable, List, Tuple, Union

from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

from hbi.models.retrievers.model_checkpoint import (
    DEFAULT_REVISE_KEYS,
    load_converted_state,
    read_model_checkpoint,
)
from hbi.registry import RUNNERS
from hbi.utils.checkpoint_compat import trusted_checkpoint_globals

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
    """

    def build_train_loop(self, loop):
        loop = super().build_train_loop(loop)
        model = (
            self.model.module if is_model_wrapper(self.model) else self.model
        )
        check_extra_loss_inputs(model, loop.dataloader.dataset)
        return loop

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

    def resume(self, filename: str, *args, **kwargs) -> None:
        with trusted_checkpoint_globals():
            return super().resume(filename, *args, **kwargs)
