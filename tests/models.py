"""Small ONNX models built in code for core tests (no files, no downloads)."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def elementwise_chain(name: str = "chain", opset: int = 17) -> onnx.ModelProto:
    """y = sqrt(abs(x * w)) + b, with w large enough to become a weight and b inline."""
    rng = np.random.default_rng(1)
    w = rng.standard_normal((4, 8)).astype(np.float32)
    b = rng.standard_normal((8,)).astype(np.float32)
    nodes = [
        helper.make_node("Mul", ["x", "scale.weight"], ["h"], name="scale"),
        helper.make_node("Abs", ["h"], ["h_abs"], name="abs"),
        helper.make_node("Sqrt", ["h_abs"], ["h_sqrt"], name="sqrt"),
        helper.make_node("Add", ["h_sqrt", "shift"], ["y"], name="shift"),
    ]
    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4, 8])],
        initializer=[numpy_helper.from_array(w, "scale.weight"), numpy_helper.from_array(b, "shift")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model


def single_node(op_type: str, inputs: dict[str, int], outputs: dict[str, int], opset: int = 17, **attrs):
    """A one-node model with rank-1 inputs of length 3 (dtypes given as TensorProto codes)."""
    node = helper.make_node(op_type, list(inputs), list(outputs), name=f"the_{op_type.lower()}", **attrs)
    graph = helper.make_graph(
        [node],
        f"single_{op_type.lower()}",
        [helper.make_tensor_value_info(n, t, [3]) for n, t in inputs.items()],
        [helper.make_tensor_value_info(n, t, [3]) for n, t in outputs.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model
