from .cross_modal_reconstruction import CrossModalReconstruction
from .identity_temporal import IdentityTemporal
from .temporal_lstm import TemporalLSTM
from .temporal_transformer import TemporalTransformer

__all__ = [
    'CrossModalReconstruction',
    'IdentityTemporal',
    'TemporalLSTM',
    'TemporalTransformer',
]
