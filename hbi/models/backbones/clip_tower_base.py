"""What the CLIP text and vision towers share (HBI A2)."""

from typing import Optional, Union

from mmengine.model import BaseModule
from torch import nn

from hbi.utils.pretrained_files import weights_come_from_checkpoint

from .clip_archs import (
    clip_projection,
    enable_activation_checkpointing,
    resolve_clip_arch,
)
from .openai_clip_conversion import (
    check_openai_clip_file,
    load_openai_clip_into,
)

#: Towers at least this wide (ViT-B's text width) are pretrained-size: without
#: a ``pretrained`` file they need ``random_init=True``.
PRETRAINED_SIZE_WIDTH = 512


class BaseCLIPTower(BaseModule):
    """A ``transformers`` CLIP model of one modality plus a bias-free
    projection, built from an arch preset, optionally checkpointed and
    loaded from an OpenAI CLIP file.

    Pretrained weights are loaded in ``__init__`` (not in ``init_weights``),
    so that a model built for testing or zero-shot use holds them without a
    runner; the module is then marked initialised and mmengine's
    ``init_weights`` leaves it alone. Nothing is random by accident: a
    tower of ViT-B size (width >= :data:`PRETRAINED_SIZE_WIDTH`) without a
    ``pretrained`` file is an error unless ``random_init=True`` says so.
    Built inside :func:`hbi.utils.pretrained_files.weights_from_checkpoint`
    (a checkpoint will hold every weight), the tower reads no file and
    skips that check.

    Subclasses set ``part`` (``'text'`` or ``'vision'``, the arch entry and
    the half of an OpenAI file), ``model_attr`` and ``projection_attr`` (the
    attribute names, which are also the checkpoint names) and implement
    :meth:`build_model`.

    Args:
        arch (str | dict): A :data:`CLIP_ARCHS` preset or an arch dict (see
            :func:`resolve_clip_arch`). Defaults to ``'ViT-B/32'``.
        pretrained (str, optional): Local OpenAI CLIP file (TorchScript or
            state dict, possibly a checkpoint holding CLIP under ``clip.``);
            a missing file is an error that says where to get it. Defaults
            to None (random initialisation, see ``random_init``).
        random_init (bool): Train a pretrained-size tower from random
            weights on purpose (towers narrower than
            :data:`PRETRAINED_SIZE_WIDTH`, like the synthetic world's, need
            no opt-in). Defaults to False.
        attn_implementation (str): ``'sdpa'`` or ``'eager'``.
            Defaults to ``'sdpa'``.
        gradient_checkpointing (bool): Recompute each block in backward.
            Defaults to False.
        init_cfg (dict, optional): mmengine init config. Defaults to None.
    """

    part: str
    model_attr: str
    projection_attr: str

    def __init__(
        self,
        arch: Union[str, dict] = 'ViT-B/32',
        pretrained: Optional[str] = None,
        random_init: bool = False,
        attn_implementation: str = 'sdpa',
        gradient_checkpointing: bool = False,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.arch = resolve_clip_arch(arch)
        model = self.build_model(self.arch[self.part], attn_implementation)
        setattr(self, self.model_attr, model)
        setattr(
            self,
            self.projection_attr,
            clip_projection(self.width, self.embed_dim),
        )
        if gradient_checkpointing:
            enable_activation_checkpointing(model)
        self.pretrained = pretrained
        name = type(self).__name__
        if pretrained is not None and random_init:
            raise ValueError(
                f'{name}: pretrained={pretrained!r} and random_init=True '
                'contradict each other; give one of them'
            )
        if weights_come_from_checkpoint():
            return
        if pretrained is not None:
            check_openai_clip_file(pretrained, f'pretrained of {name}')
            self.load_openai_clip(pretrained)
            self._is_init = True
        elif not random_init and self.width >= PRETRAINED_SIZE_WIDTH:
            raise ValueError(
                f'{name}: a pretrained-size tower (width {self.width}) '
                'without pretrained weights. Give the OpenAI CLIP file '
                "(the retriever's clip_file, or pretrained=PATH), or set "
                'random_init=True to train it from random weights on '
                'purpose.'
            )

    def build_model(
        self, part_arch: dict, attn_implementation: str
    ) -> nn.Module:
        """The ``transformers`` model of ``part_arch`` (the arch's entry)."""
        raise NotImplementedError

    @property
    def embed_dim(self) -> int:
        """Width of the projected features."""
        return self.arch['embed_dim']

    @property
    def width(self) -> int:
        """Width of the transformer."""
        return self.arch[self.part]['width']

    def load_openai_clip(self, path: str) -> None:
        """Load this tower's part of an OpenAI CLIP file (names and shapes
        checked; raises ValueError listing every problem)."""
        load_openai_clip_into(self, path, self.part)
