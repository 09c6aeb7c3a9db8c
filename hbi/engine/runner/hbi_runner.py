"""mmengine's Runner, able to load its own checkpoints under torch >= 2.6."""
from mmengine.runner import Runner

from hbi.registry import RUNNERS
from hbi.utils.checkpoint_compat import trusted_checkpoint_globals


@RUNNERS.register_module()
class HBIRunner(Runner):
    """:class:`mmengine.runner.Runner` whose checkpoint loads allow mmengine's
    own classes.

    torch >= 2.6 unpickles with ``weights_only=True``; mmengine 0.10.7 saves
    ``HistoryBuffer`` objects and NumPy arrays in every checkpoint, so the
    stock runner cannot ``resume`` (nor ``load_from``) its own files. The
    allow-list is applied only around these loads, see
    :mod:`hbi.utils.checkpoint_compat`.
    """

    def load_checkpoint(self, filename: str, *args, **kwargs):
        with trusted_checkpoint_globals():
            return super().load_checkpoint(filename, *args, **kwargs)

    def resume(self, filename: str, *args, **kwargs) -> None:
        with trusted_checkpoint_globals():
            return super().resume(filename, *args, **kwargs)
