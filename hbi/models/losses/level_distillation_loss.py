"""Self-distillation from the entity level (``docs/en/methods/hbi.md`` A9)."""

from torch import Tensor, nn

from hbi.registry import MODELS

from .banzhaf_distillation_loss import softmax_kl_divergence


@MODELS.register_module()
class LevelDistillationLoss(nn.Module):
    """``w * [KL(softmax(s_entity) || softmax(s_level)) + same on s^T]``.

    KL over the last axis, averaged over all N*N elements (see
    :func:`softmax_kl_divergence`; the release's ``KL`` module). With
    ``symmetric=False`` only the first term is taken: the released QA model
    distils its entity-level answer logits (B, A) into the coarser levels'
    this way (``docs/en/methods/hbi_qa.md`` Q4).

    The release does not detach ``s_entity``, so this loss also pulls the
    entity level towards the coarser one; ``detach_target=True`` stops that
    gradient. Defaults to the release's behaviour.

    Args:
        loss_weight (float): ``kl``. Defaults to 2.0.
        detach_target (bool): Detach the entity-level similarity. Defaults
            to False.
        symmetric (bool): Add the term on the transposed matrices. Defaults
            to True.

    Shape:
        - level_sim, entity_sim: (Nt, Nv) similarity matrices (or, with
          ``symmetric=False``, any (..., C) logits).
        - output: scalar.
    """

    def __init__(
        self,
        loss_weight: float = 2.0,
        detach_target: bool = False,
        symmetric: bool = True,
    ) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.detach_target = detach_target
        self.symmetric = symmetric

    def forward(self, level_sim: Tensor, entity_sim: Tensor) -> Tensor:
        if self.detach_target:
            entity_sim = entity_sim.detach()
        loss = softmax_kl_divergence(level_sim, entity_sim)
        if self.symmetric:
            loss = loss + softmax_kl_divergence(level_sim.t(), entity_sim.t())
        return self.loss_weight * loss
