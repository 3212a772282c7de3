import pytest
from onnx import TensorProto

import porter
from porter.errors import UnsupportedOp
from porter.lower import Lowering
from porter.targets import get_target
from tests.models import single_node


def test_unhandled_attribute_is_refused_with_node_and_name():
    # The checker rejects unknown attributes in files; this guards the mappings themselves, which must
    # read every attribute they accept (lowering is called directly to get past the checker).
    model = single_node("Abs", {"x": TensorProto.FLOAT}, {"y": TensorProto.FLOAT})
    model.graph.node[0].attribute.add(name="surprise", type=2, i=1)
    with pytest.raises(UnsupportedOp) as info:
        Lowering(model, get_target("paddle")).run()
    message = str(info.value)
    assert "the_abs" in message and "surprise" in message


def test_unknown_domain_is_refused():
    model = single_node("Abs", {"x": TensorProto.FLOAT}, {"y": TensorProto.FLOAT})
    model.graph.node[0].domain = "com.example"
    model.opset_import.add(domain="com.example", version=1)
    with pytest.raises(UnsupportedOp, match="com.example"):
        porter.generate(model, "paddle")


def test_unsupported_graph_input_dtype_names_the_input():
    model = single_node("Abs", {"x": TensorProto.UINT64}, {"y": TensorProto.UINT64})
    with pytest.raises(UnsupportedOp, match="'x'.*uint64"):
        porter.generate(model, "paddle")


def test_hostile_names_become_plain_identifiers():
    model = single_node(
        "Abs", {'x"); __import__("os").system("echo pwned") #': TensorProto.FLOAT}, {"class": TensorProto.FLOAT}
    )
    _, code = porter.generate(model, "paddle")
    assert "__import__" not in code and "system(" not in code
    compile(code, "model.py", "exec")


def test_constant_subgraphs_are_folded_at_convert_time():
    import numpy as np
    from onnx import helper, numpy_helper

    nodes = [
        helper.make_node(
            "ConstantOfShape", ["shape"], ["filled"], value=numpy_helper.from_array(np.array([0.5], np.float32))
        ),
        helper.make_node("Add", ["x", "filled"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes,
        "fold",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])],
        initializer=[numpy_helper.from_array(np.array([2, 3], np.int64), "shape")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    program, code = porter.generate(model, "paddle")
    assert [r["mapping"] for r in program.op_report if r["op_type"] == "ConstantOfShape"] == ["folded"]
    assert "[[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]" in code
