"""What a target supplies to the shared lowering and code generator: its tables, never logic switches."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from porter.registry import Registry

TARGET_PACKAGES = {"paddle": "porter.op_maps.paddle", "mindspore": "porter.op_maps.mindspore"}


@dataclass(frozen=True)
class TargetSpec:
    name: str
    framework: str  # the import name of the framework, for messages
    registry: Registry
    imports: tuple[str, ...]  # lines at the top of model.py
    base_class: str  # e.g. "nn.Layer"
    forward_name: str  # "forward" / "construct"
    weights_file: str  # file name beside model.py
    dtype_exprs: dict[str, str]  # canonical dtype name -> source expression of the target dtype
    unsupported_dtypes: dict[str, str]  # canonical dtype name -> why the target cannot hold it
    const_tensor: Callable[[str, str], str]  # (python literal, dtype expr) -> tensor expression
    parameter_decl: Callable[[str, str, str], str]  # (attr, shape literal, dtype expr) -> __init__ line
    buffer_decl: Callable[[str, str, str], str]  # (attr, shape literal, dtype expr) -> __init__ line
    constant_decl: Callable[[str, str, str], str]  # (attr, value literal, dtype expr) -> a non-persistent buffer
    # (class name, has weights, eager only, input specs: name/dtype/shape with str for symbolic dims) -> body
    load_model_lines: Callable[[str, bool, bool, list[dict]], list[str]]
    write_weights: Callable[[dict[str, np.ndarray], str], None]  # (state dict, path) -> file
    runtime: str = ""  # module with prepare(device) and run(model, arrays), imported only in workers
    export_kind: str = ""  # the static export this target offers (`--export KIND`)
    export_dir: str = "export"  # where it is written inside OUT
    notes: dict[str, str] = field(default_factory=dict)
    module_list: str = ""  # the container of numbered submodules (nn.LayerList / nn.CellList)
    module_dict: str = ""  # the container of named submodules (nn.LayerDict / nn.CellDict)
    identity_layer: str = ""  # a parameter-free placeholder that keeps a module list's numbering

    def load_runtime(self):
        return importlib.import_module(self.runtime)

    def dtype_expr(self, name: str) -> str:
        return self.dtype_exprs[name]


def get_target(name: str) -> TargetSpec:
    if name not in TARGET_PACKAGES:
        raise KeyError(name)
    module = importlib.import_module(TARGET_PACKAGES[name])
    return module.TARGET


def target_names() -> list[str]:
    return sorted(TARGET_PACKAGES)
