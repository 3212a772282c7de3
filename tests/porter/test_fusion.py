"""porter.fusion: the exporter's decompositions written back as the op that names them, numerics kept."""

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from porter.convert import generate
from porter.fusion import fused
from porter.targets import get_target
from tests.op_maps.harness import run_target


def _model(nodes, inits, width=8):
    graph = helper.make_graph(
        nodes,
        "fusion",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, width])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3, width])],
        initializer=[numpy_helper.from_array(np.asarray(v, dtype=np.float32), k) for k, v in inits.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    return model


def gelu_erf(sqrt2=1.4142135):
    nodes = [
        helper.make_node("Div", ["x", "sqrt2"], ["d"]),
        helper.make_node("Erf", ["d"], ["e"]),
        helper.make_node("Add", ["e", "one"], ["p"]),
        helper.make_node("Mul", ["half", "p"], ["m"]),
        helper.make_node("Mul", ["x", "m"], ["y"]),
    ]
    return _model(nodes, {"sqrt2": sqrt2, "one": 1.0, "half": 0.5})


def rms_norm():
    w = np.random.default_rng(0).standard_normal(8)
    nodes = [
        helper.make_node("Pow", ["x", "two"], ["sq"]),
        helper.make_node("ReduceMean", ["sq", "axes"], ["mean"], keepdims=1),
        helper.make_node("Add", ["mean", "eps"], ["var"]),
        helper.make_node("Sqrt", ["var"], ["std"]),
        helper.make_node("Reciprocal", ["std"], ["inv"]),
        helper.make_node("Mul", ["x", "inv"], ["normed"]),
        helper.make_node("Mul", ["w", "normed"], ["y"]),
    ]
    model = _model(nodes, {"two": 2.0, "eps": 1e-6, "w": w})
    model.graph.initializer.append(numpy_helper.from_array(np.array([-1], dtype=np.int64), "axes"))
    return model


def silu():
    return _model([helper.make_node("Sigmoid", ["x"], ["s"]), helper.make_node("Mul", ["x", "s"], ["y"])], {})


CASES = {"gelu": (gelu_erf, "gelu("), "rms_norm": (rms_norm, "_rms_norm("), "silu": (silu, "silu(")}


@pytest.mark.parametrize("target", ["paddle", "mindspore"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_fused_layer_matches_onnxruntime(target, case):
    build, call = CASES[case]
    model = build()
    if get_target(target).registry.lookup({"gelu": "Gelu", "rms_norm": "RMSNormalization", "silu": "Swish"}[case],
                                          25)[0] is None:  # fmt: skip
        pytest.skip(f"{target} maps no fused op for {case}")
    program, code = generate(model, target)
    assert any(row["mapping"] == "fused" for row in program.op_report) or len(program.op_report) == 1
    if case == "gelu" or (case == "silu" and target == "paddle") or (case == "rms_norm" and target == "paddle"):
        assert call in code, code  # MindSpore writes Swish and RMSNormalization as their formulas
    x = np.random.default_rng(1).standard_normal((2, 3, 8)).astype(np.float32)
    expected = ort.InferenceSession(model.SerializeToString()).run(None, {"x": x})[0]
    np.testing.assert_allclose(run_target(model, target, [[x]])[0][0], expected, rtol=1e-5, atol=1e-6)


def test_a_near_miss_is_not_fused():
    _, code = generate(gelu_erf(sqrt2=1.5), "paddle")  # not sqrt(2): not GELU
    assert "erf(" in code and "gelu(" not in code


def test_the_source_graph_is_restored():
    model = gelu_erf()
    before = model.SerializeToString()
    with fused(model, get_target("paddle").registry) as count:
        assert count == 1 and [n.op_type for n in model.graph.node] == ["Gelu"]
    assert model.SerializeToString() == before


def test_an_intermediate_read_twice_keeps_the_decomposition():
    model = gelu_erf()
    model.graph.node.append(helper.make_node("Add", ["e", "e"], ["extra"]))
    model.graph.output.append(helper.make_tensor_value_info("extra", TensorProto.FLOAT, [2, 3, 8]))
    _, code = generate(model, "paddle")
    assert "erf(" in code
