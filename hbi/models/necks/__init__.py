from .fusion_encoder import FusionEncoder
from .identity_temporal import IdentityTemporal
from .temporal_lstm import TemporalLSTM
from .temporal_transformer import TemporalTransformer

__all__ = [
    'FusionEncoder',
    'IdentityTemporal',
    'TemporalLSTM',
    'TemporalTransformer',
]
