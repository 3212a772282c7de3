"""Small ONNX graphs for the pass tests: one float input x [2, 3, 8], one output y, scalar initializers."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from porter.convert import generate
from porter.targets import get_target
from tests.op_maps.harness import run_target

SHAPE = [2, 3, 8]


def from_graph(graph: onnx.GraphProto, opset: int = 18) -> onnx.ModelProto:
    """A model of `graph` in the default domain at `opset`, with an IR version every runtime here reads."""
    built = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    built.ir_version = 9
    return built


def model(nodes, inits=None, outputs=("y",), opset=18) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes,
        "passes",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, SHAPE)],
        [helper.make_tensor_value_info(name, TensorProto.FLOAT, SHAPE) for name in outputs],
        initializer=[numpy_helper.from_array(np.asarray(v, dtype=np.float32), k) for k, v in (inits or {}).items()],
    )
    return from_graph(graph, opset)


def scoped(node: onnx.NodeProto, module: str) -> onnx.NodeProto:
    """The node as torch.onnx records it inside module `module` (its name_scopes metadata)."""
    node.metadata_props.add(key="pkg.torch.onnx.name_scopes", value=f"['', '{module}', '{node.name or node.op_type}']")
    return node


def assert_port_matches(built: onnx.ModelProto, target: str, fused_call: str | None) -> str:
    """The port computes what onnxruntime computes on the unfused graph; returns its code."""
    _, code = generate(built, target)
    if fused_call is not None:
        assert fused_call in code, code
    x = np.random.default_rng(1).standard_normal(SHAPE).astype(np.float32)
    expected = ort.InferenceSession(built.SerializeToString()).run(None, {"x": x})[0]
    np.testing.assert_allclose(run_target(built, target, [[x]])[0][0], expected, rtol=1e-5, atol=1e-6)
    return code


def maps(target: str, op_type: str) -> bool:
    return get_target(target).registry.lookup(op_type, 25)[0] is not None
