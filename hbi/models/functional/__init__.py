from .banzhaf import (
    EXACT_MAX_PLAYERS,
    banzhaf_interaction,
    banzhaf_interaction_from_values,
    banzhaf_value_of_coalitions,
)

__all__ = [
    'EXACT_MAX_PLAYERS',
    'banzhaf_interaction',
    'banzhaf_interaction_from_values',
    'banzhaf_value_of_coalitions',
]
