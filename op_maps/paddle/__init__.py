"""PaddlePaddle mapping tables: importing this package fills the registry."""

from porter.op_maps.paddle import (  # noqa: F401  (each module registers its ops)
    elementwise,
)
from porter.op_maps.paddle._registry import REGISTRY
from porter.op_maps.paddle._target import TARGET

__all__ = ["REGISTRY", "TARGET"]
