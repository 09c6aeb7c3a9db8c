"""hbi: Hierarchical Banzhaf Interaction for video-language learning."""

from .utils.checkpoint_compat import allow_mmengine_checkpoint_classes
from .version import __version__

# torch >= 2.6 loads checkpoints with ``weights_only=True``; mmengine 0.10.7
# stores its own classes in them, so resuming needs them allow-listed.
allow_mmengine_checkpoint_classes()

__all__ = ['__version__']
