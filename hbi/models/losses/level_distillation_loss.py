"""Self-distillation from the entity level (``docs/en/methods/hbi.md`` A9)."""

from torch import Tensor, nn

from hbi.registry import MODELS

from .banzhaf_distillation_loss import softmax_kl_divergence


@MODELS.register_module()
class LevelDistillationLoss(nn.Module):
    """``w * [KL(softmax(s_entity) || softmax(s_level)) + same on s^T]``.

    KL over the last axis, averaged over all N*N elements (see
    :func:`softmax_kl_divergence`; the release's ``KL`` module).

    The release does not detach ``s_entity``, so this loss also pulls the
    entity level towards the coarser one; ``detach_target=True`` stops that
    gradient. Defaults to the release's behaviour.

    Args:
        loss_weight (float): ``kl``. Defaults to 2.0.
        detach_target (bool): Detach the entity-level similarity. Defaults
            to False.

    Shape:
        - level_sim, entity_sim: (Nt, Nv) similarity matrices.
        - output: scalar.
    """

    def __init__(
        self, loss_weight: float = 2.0, detach_target: bool = False
    ) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.detach_target = detach_target

    def forward(self, level_sim: Tensor, entity_sim: Tensor) -> Tensor:
        if self.detach_target:
            entity_sim = entity_sim.detach()
        loss = softmax_kl_divergence(
            level_sim, entity_sim
        ) + softmax_kl_divergence(level_sim.t(), entity_sim.t())
        return self.loss_weight * loss
