from .contrastive_loss import SymmetricInfoNCELoss, symmetric_info_nce

__all__ = ['SymmetricInfoNCELoss', 'symmetric_info_nce']
