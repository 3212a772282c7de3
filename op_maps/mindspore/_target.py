"""MindSpore's side of the target contract: imports, dtypes, parameter declarations, weights file."""

from __future__ import annotations

from porter.codegen.shards import load_lines
from porter.op_maps.mindspore._checkpoint import write_checkpoint
from porter.op_maps.mindspore._registry import REGISTRY
from porter.targets import TargetSpec

_NAMES = (
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "bool",
)
_DTYPES = {name: f"mindspore.{'bool_' if name == 'bool' else name}" for name in _NAMES}

_UNSUPPORTED = {
    "string": "MindSpore tensors cannot hold strings for these ops",
    "complex64": "complex tensors are not supported by porter's MindSpore target",
    "complex128": "complex tensors are not supported by porter's MindSpore target",
}


def _const_tensor(literal: str, dtype: str) -> str:
    return f"mindspore.Tensor({literal}, dtype={dtype})"


def _parameter_decl(attr: str, shape: str, dtype: str) -> str:
    return f"self.{attr} = mindspore.Parameter(ops.zeros({shape}, {dtype}), name={attr!r})"


def _buffer_decl(attr: str, shape: str, dtype: str) -> str:
    return f"self.{attr} = mindspore.Parameter(ops.zeros({shape}, {dtype}), name={attr!r}, requires_grad=False)"


def _constant_decl(attr: str, literal: str, dtype: str) -> str:
    # a plain Tensor attribute: not a Parameter, so not in the checkpoint (a constant under GRAPH_MODE)
    return f"self.{attr} = mindspore.Tensor({literal}, dtype={dtype})"


def _load_model_lines(class_name: str, has_weights: bool, eager_only: bool, input_specs: list[dict]) -> list[str]:
    lines = []
    if eager_only:  # checked in plain Python, before anything is compiled: GRAPH_MODE would misread values
        lines += [
            "if mindspore.get_context('mode') != mindspore.PYNATIVE_MODE:",
            "    raise RuntimeError('this model reads tensor values in Python (see report.json); "
            "run it in PYNATIVE_MODE')",
        ]
    lines.append(f"model = {class_name}()")
    if has_weights:  # mindspore.load_checkpoint refuses a checkpoint with no parameters
        read = ["state.update(mindspore.load_checkpoint(path))"]
        lines += load_lines("model.ckpt", read, "mindspore.load_param_into_net(model, state, strict_load=True)")
    symbolic = any(not isinstance(d, int) for spec in input_specs for d in spec["shape"])
    if symbolic and not eager_only:  # one compiled graph for every size of the symbolic dims
        specs = ", ".join(
            f"mindspore.Tensor(shape={[d if isinstance(d, int) else None for d in spec['shape']]}, "
            f"dtype={_DTYPES[spec['dtype']]})"
            for spec in input_specs
        )
        lines += ["if mindspore.get_context('mode') == mindspore.GRAPH_MODE:", f"    model.set_inputs({specs})"]
    return [*lines, "model.set_train(False)", "return model"]


TARGET = TargetSpec(
    name="mindspore",
    framework="mindspore",
    registry=REGISTRY,
    imports=("import mindspore", "from mindspore import nn, ops"),
    base_class="nn.Cell",
    forward_name="construct",
    weights_file="model.ckpt",
    dtype_exprs=_DTYPES,
    unsupported_dtypes=_UNSUPPORTED,
    const_tensor=_const_tensor,
    parameter_decl=_parameter_decl,
    buffer_decl=_buffer_decl,
    constant_decl=_constant_decl,
    load_model_lines=_load_model_lines,
    write_weights=write_checkpoint,
    export_kind="mindir",
    export_dir="mindir",
    runtime="porter.op_maps.mindspore._runtime",
    module_list="nn.CellList",
    module_dict="nn.CellDict",
    identity_layer="nn.Identity()",
)
