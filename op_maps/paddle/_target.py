"""PaddlePaddle's side of the target contract: imports, dtypes, parameter declarations, weights file."""

from __future__ import annotations

import numpy as np

from porter.codegen.shards import load_lines
from porter.codegen.tensors import write_npz
from porter.op_maps.paddle._registry import REGISTRY
from porter.targets import TargetSpec

_DTYPES = {
    name: repr(name)
    for name in ("float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool")
}

_UNSUPPORTED = {
    "uint16": "Paddle has no uint16 tensors",
    "uint32": "Paddle has no uint32 tensors",
    "uint64": "Paddle has no uint64 tensors",
    "string": "Paddle tensors cannot hold strings",
    "complex64": "complex tensors are not supported by porter's Paddle target",
    "complex128": "complex tensors are not supported by porter's Paddle target",
}


def _const_tensor(literal: str, dtype: str) -> str:
    return f"paddle.to_tensor({literal}, dtype={dtype})"


def _parameter_decl(attr: str, shape: str, dtype: str) -> str:
    return (
        f"self.{attr} = self.create_parameter({shape}, dtype={dtype}, default_initializer=nn.initializer.Constant(0.0))"
    )


def _buffer_decl(attr: str, shape: str, dtype: str) -> str:
    return f"self.register_buffer({attr!r}, paddle.zeros({shape}, dtype={dtype}))"


def _constant_decl(attr: str, literal: str, dtype: str) -> str:
    return f"self.register_buffer({attr!r}, paddle.to_tensor({literal}, dtype={dtype}), persistable=False)"


def _load_model_lines(class_name: str, has_weights: bool, eager_only: bool, input_specs: list[dict]) -> list[str]:
    # Paddle's dynamic mode is the default (paddle.jit.save reports what cannot be traced), and
    # paddle.jit.to_static takes its InputSpecs at the call site, not on the Layer
    del eager_only, input_specs
    lines = [f"model = {class_name}()"]
    if has_weights:
        # .npz read with allow_pickle=False: loading the weights can never run code (paddle.load unpickles).
        read = [
            "with np.load(path, allow_pickle=False) as weights:",
            "    state.update({k: weights[k] for k in weights.files})",
        ]
        lines += load_lines("model.npz", read, "model.set_state_dict(state)")
    return [*lines, "model.eval()", "return model"]


def _write_weights(state: dict[str, np.ndarray], path: str) -> None:
    """A plain .npz; a bfloat16 tensor as its bits in uint16. numpy has no bfloat16 (ml_dtypes' arrays
    come back from np.load(allow_pickle=False) as raw '<V2'), and uint16 is Paddle's own numpy form of
    bfloat16 (Tensor.numpy() gives it, set_state_dict takes it into a bfloat16 parameter). The view is
    lazy, so a memory-mapped weight still streams to the file."""
    write_npz({name: _bits(array) for name, array in state.items()}, path)


def _bits(array: np.ndarray) -> np.ndarray:
    return array.view(np.uint16) if array.dtype.name == "bfloat16" else array


TARGET = TargetSpec(
    name="paddle",
    framework="paddle",
    registry=REGISTRY,
    imports=("import paddle", "from paddle import nn"),
    base_class="nn.Layer",
    forward_name="forward",
    weights_file="model.npz",
    dtype_exprs=_DTYPES,
    unsupported_dtypes=_UNSUPPORTED,
    const_tensor=_const_tensor,
    parameter_decl=_parameter_decl,
    buffer_decl=_buffer_decl,
    constant_decl=_constant_decl,
    load_model_lines=_load_model_lines,
    write_weights=_write_weights,  # a plain .npz (no pickled objects): model.py reads it with allow_pickle=False
    export_kind="inference",
    export_dir="inference",
    runtime="porter.op_maps.paddle._runtime",
    module_list="nn.LayerList",
    module_dict="nn.LayerDict",
    identity_layer="nn.Identity()",
)
