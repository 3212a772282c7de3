"""MindSpore mapping tables: importing this package fills the registry.

Same family files as op_maps/paddle/; every public module registers its ops on import. Generated code
uses the classic mindspore.nn / mindspore.ops APIs, which run on CPU, GPU and Ascend, and compiles
under GRAPH_MODE as well as running in PYNATIVE_MODE.
"""

import importlib
import pkgutil

from porter.op_maps.mindspore._registry import REGISTRY
from porter.op_maps.mindspore._target import TARGET

FAMILIES = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
for _family in FAMILIES:
    importlib.import_module(f"{__name__}.{_family}")

__all__ = ["FAMILIES", "REGISTRY", "TARGET"]
