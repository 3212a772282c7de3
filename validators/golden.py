"""The fp64 golden: the source graph recast to float64 and run by onnx.reference (numpy kernels).

Every float tensor type in the graph (inputs, outputs, value_info, initializers, Constant values,
Cast/CastLike targets and dtype attributes) becomes double, so the golden carries ~16 digits where the
source framework and the target carry ~7 (float32) or ~3 (float16). Where the recast graph cannot run
(an op onnx.reference has no double kernel for), `golden_outputs` says so and the verdicts fall back to
the source framework alone; it never substitutes a lower-precision run silently.
"""

from __future__ import annotations

import warnings

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper

_FLOATS = {TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.BFLOAT16}
_DTYPE_ATTRS = {"to", "dtype", "output_dtype"}


def to_float64(model: onnx.ModelProto) -> onnx.ModelProto:
    """A copy of model with every float tensor type widened to double."""
    return recast(model, _FLOATS, TensorProto.DOUBLE)


def recast(model: onnx.ModelProto, kinds: set[int], to: int) -> onnx.ModelProto:
    """A copy of model with every tensor type in `kinds` changed to `to` (values converted)."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    _recast_graph(model.graph, kinds, to)
    return model


def _recast_type(type_proto, kinds, to) -> None:
    which = type_proto.WhichOneof("value")
    if which == "tensor_type" and type_proto.tensor_type.elem_type in kinds:
        type_proto.tensor_type.elem_type = to
    elif which in ("sequence_type", "optional_type"):
        _recast_type(getattr(type_proto, which).elem_type, kinds, to)


def _recast_tensor(tensor: TensorProto, kinds, to) -> TensorProto:
    if tensor.data_type not in kinds:
        return tensor
    array = numpy_helper.to_array(tensor).astype(onnx.helper.tensor_dtype_to_np_dtype(to))
    return numpy_helper.from_array(array, tensor.name)


def _recast_graph(graph: onnx.GraphProto, kinds, to) -> None:
    for vi in list(graph.input) + list(graph.output) + list(graph.value_info):
        _recast_type(vi.type, kinds, to)
    for i, init in enumerate(graph.initializer):
        graph.initializer[i].CopyFrom(_recast_tensor(init, kinds, to))
    for node in graph.node:
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.TENSOR:
                attr.t.CopyFrom(_recast_tensor(attr.t, kinds, to))
            elif attr.type == onnx.AttributeProto.INT and attr.name in _DTYPE_ATTRS and attr.i in kinds:
                attr.i = to
            elif attr.type == onnx.AttributeProto.GRAPH:
                _recast_graph(attr.g, kinds, to)
            elif attr.type == onnx.AttributeProto.GRAPHS:
                for g in attr.graphs:
                    _recast_graph(g, kinds, to)


def _widen_array(array: np.ndarray) -> np.ndarray:
    return array.astype(np.float64) if array.dtype.kind == "f" or array.dtype.name == "bfloat16" else array


def golden_outputs(
    model: onnx.ModelProto, inputs: list[np.ndarray], intermediate: bool = False
) -> tuple[dict[str, np.ndarray] | None, str]:
    """({value name: float64 array}, how it was made) or (None, why there is none).

    With intermediate=True every value the graph computes is returned, not only its outputs.
    """
    from onnx.reference import ReferenceEvaluator

    model, upgraded = _modern_opset(model)
    wide = _reference_spellings(to_float64(model))
    initializers = {i.name for i in wide.graph.initializer}
    names = [vi.name for vi in wide.graph.input if vi.name not in initializers]
    feeds = {n: _widen_array(np.asarray(a)) for n, a in zip(names, inputs)}
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            evaluator = ReferenceEvaluator(wide)
            if intermediate:
                values = evaluator.run(None, feeds, intermediate=True)
            else:
                outs = evaluator.run(None, feeds)
                values = {o.name: v for o, v in zip(wide.graph.output, outs)}
    except Exception as exc:  # any op onnx.reference cannot run in double: say so, no golden
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        return None, f"no fp64 golden: onnx.reference could not run the float64 graph ({type(exc).__name__}: {first})"
    arrays = {k: np.asarray(v) for k, v in values.items() if isinstance(v, np.ndarray | np.generic)}
    how = "onnx.reference on the graph recast to float64"
    return arrays, how + (f" (upgraded from opset {upgraded} first)" if upgraded else "")


# GridSample 16 spells its modes "bilinear" / "bicubic"; GridSample 20 renamed them "linear" / "cubic" (same
# interpolation, 2-D as before) and onnx.reference knows only the new names, so a torch.onnx export
# (opset 18) of any spatial transformer would have no golden.
_GRID_SAMPLE_MODES = {b"bilinear": b"linear", b"bicubic": b"cubic"}


def _reference_spellings(model: onnx.ModelProto) -> onnx.ModelProto:
    """model (changed in place) with attribute spellings that onnx.reference reads the newest way."""

    def visit(graph):
        for node in graph.node:
            for attr in node.attribute:
                if node.op_type == "GridSample" and node.domain in ("", "ai.onnx") and attr.name == "mode":
                    attr.s = _GRID_SAMPLE_MODES.get(attr.s, attr.s)
                for g in [attr.g] if attr.type == onnx.AttributeProto.GRAPH else attr.graphs:
                    visit(g)

    visit(model.graph)
    return model


# onnx.reference implements each op once, with the newest schema's attribute defaults and semantics:
# Softmax/LogSoftmax/Hardmax before opset 13 (default axis 1, inputs coerced to 2-D) come out wrong
# (measured: the zoo's SqueezeNet, opset 9, gives 1.0 everywhere). The version converter rewrites
# such graphs to opset 13 with the old semantics made explicit; intermediate names are kept.
_MODERN = 13


def _modern_opset(model: onnx.ModelProto) -> tuple[onnx.ModelProto, int | None]:
    opset = next((i.version for i in model.opset_import if i.domain in ("", "ai.onnx")), _MODERN)
    if opset >= _MODERN:
        return model, None
    try:
        from onnx import version_converter

        return version_converter.convert_version(model, _MODERN), opset
    except Exception:  # the converter cannot lift every graph; the old one is then evaluated as it is
        return model, None
