"""Model-local ONNX functions: inlined with their call tree, one class per function, numbers unchanged."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import porter
from porter.errors import InvalidModel
from tests.op_maps.harness import run_target

_OPSETS = [helper.make_opsetid("", 18), helper.make_opsetid("local", 1)]


def _model(nodes, functions, inits, width=8):
    graph = helper.make_graph(
        nodes,
        "Net",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", width])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["b", width])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=_OPSETS, functions=functions)
    model.ir_version = 9
    return model


def _block() -> onnx.FunctionProto:
    """y = relu(x @ w) * alpha + x, alpha an attribute of the call (LeakyRelu's, by reference)."""
    scale = helper.make_node("LeakyRelu", ["r"], ["s"])
    scale.attribute.add(name="alpha", type=onnx.AttributeProto.FLOAT, ref_attr_name="slope")
    nodes = [helper.make_node("MatMul", ["x", "w"], ["m"]), helper.make_node("Relu", ["m"], ["r"]), scale]
    nodes.append(helper.make_node("Add", ["s", "x"], ["y"]))
    return helper.make_function("local", "Block", ["x", "w"], ["y"], nodes, [_OPSETS[0]], attributes=["slope"])


def _three_blocks() -> onnx.ModelProto:
    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(rng.standard_normal((8, 8)).astype(np.float32), f"w{i}") for i in range(3)]
    calls = []
    for i, (src, dst) in enumerate([("x", "h0"), ("h0", "h1"), ("h1", "y")]):
        calls.append(helper.make_node("Block", [src, f"w{i}"], [dst], domain="local", name=f"block{i}", slope=0.5))
    return _model(calls, [_block()], inits)


@pytest.mark.parametrize("target", ["paddle", "mindspore"])
def test_each_call_is_an_instance_of_one_class_named_after_the_function(target):
    model = _three_blocks()
    result = porter.convert(model, target)
    assert result.code.count("class Block(") == 1
    assert all(f"self.block{i} = Block()" in result.code for i in range(3))
    assert {row["target"] for row in result.param_map} == {f"block{i}.w.weight" for i in range(3)}
    x = np.random.default_rng(1).standard_normal((2, 8)).astype(np.float32)
    expected = ort.InferenceSession(model.SerializeToString()).run(None, {"x": x})[0]
    np.testing.assert_allclose(run_target(model, target, [[x]])[0][0], expected, rtol=1e-5, atol=1e-5)


def test_calls_inside_a_function_become_nested_classes():
    inner_nodes = [helper.make_node("MatMul", ["x", "w"], ["m"]), helper.make_node("Relu", ["m"], ["y"])]
    inner = helper.make_function("local", "Inner", ["x", "w"], ["y"], inner_nodes, [_OPSETS[0]])
    outer_nodes = [
        helper.make_node("Inner", ["x", "w"], ["a"], domain="local", name="proj"),
        helper.make_node("Add", ["a", "x"], ["y"]),
    ]
    outer = helper.make_function("local", "Outer", ["x", "w"], ["y"], outer_nodes, _OPSETS)
    weight = numpy_helper.from_array(np.random.default_rng(3).standard_normal((8, 8)).astype(np.float32), "w")
    model = _model(
        [helper.make_node("Outer", ["x", "w"], ["y"], domain="local", name="outer")], [inner, outer], [weight]
    )
    result = porter.convert(model, "paddle")
    assert "class Outer(" in result.code and "self.outer = Outer()" in result.code
    assert {row["target"] for row in result.param_map} == {"outer.proj.w.weight"}
    x = np.random.default_rng(2).standard_normal((3, 8)).astype(np.float32)
    expected = ort.InferenceSession(model.SerializeToString()).run(None, {"x": x})[0]
    np.testing.assert_allclose(run_target(model, "paddle", [[x]])[0][0], expected, rtol=1e-5, atol=1e-5)


def test_a_call_with_an_attribute_of_the_wrong_type_is_refused_naming_the_function():
    model = _three_blocks()
    bad = model.graph.node[1]
    del bad.attribute[:]
    bad.attribute.append(helper.make_attribute("slope", 2))  # an int where the function reads a float
    with pytest.raises(InvalidModel, match="Block"):
        porter.convert(model, "paddle")
