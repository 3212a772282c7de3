"""PaddlePaddle mapping tables: importing this package fills the registry.

Every public module here is one ONNX op family and registers its ops on import; adding a family is
adding a file (and its mirrored test file in tests/op_maps/paddle/).
"""

import importlib
import pkgutil

from porter.op_maps.paddle._registry import REGISTRY
from porter.op_maps.paddle._target import TARGET

FAMILIES = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
for _family in FAMILIES:
    importlib.import_module(f"{__name__}.{_family}")

__all__ = ["FAMILIES", "REGISTRY", "TARGET"]
