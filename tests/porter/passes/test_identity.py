"""porter.passes.identity: Identity nodes of the main graph dropped, branch outputs and graph outputs kept."""

import pytest
from onnx import helper

from porter.passes import optimized
from porter.targets import get_target
from tests.porter.passes.builders import SHAPE, assert_port_matches, model

REGISTRY = get_target("paddle").registry


def _nodes(built):
    return [(n.op_type, list(n.input), list(n.output)) for n in built.graph.node]


def test_readers_of_a_copy_read_the_original():
    built = model([helper.make_node("Identity", ["x"], ["i"]), helper.make_node("Relu", ["i"], ["y"])])
    with optimized(built, REGISTRY) as counts:
        assert counts == {"IdentityPass": 1} and _nodes(built) == [("Relu", ["x"], ["y"])]
    assert_port_matches(built, "paddle", None)


def test_a_graph_output_copy_keeps_its_name():
    built = model([helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Identity", ["r"], ["y"])])
    with optimized(built, REGISTRY) as counts:
        assert counts == {} and _nodes(built) == [("Relu", ["x"], ["r"]), ("Identity", ["r"], ["y"])]


def test_a_branch_returning_an_outer_value_keeps_its_identity():
    """onnx_ir's own pass renames the outer value to the branch's output name here."""
    then_branch = helper.make_graph(
        [helper.make_node("Identity", ["a"], ["t_out"])], "then", [], [helper.make_tensor_value_info("t_out", 1, SHAPE)]
    )
    else_branch = helper.make_graph(
        [helper.make_node("Neg", ["a"], ["e_out"])], "else", [], [helper.make_tensor_value_info("e_out", 1, SHAPE)]
    )
    nodes = [
        helper.make_node("Identity", ["x"], ["i"]),
        helper.make_node("Relu", ["i"], ["a"]),
        helper.make_node("ReduceSum", ["a"], ["total"], keepdims=0),
        helper.make_node("Greater", ["total", "zero"], ["c"]),
        helper.make_node("If", ["c"], ["b"], then_branch=then_branch, else_branch=else_branch),
        helper.make_node("Add", ["a", "b"], ["y"]),
    ]
    built = model(nodes, {"zero": 0.0})
    with optimized(built, REGISTRY) as counts:
        assert counts == {"IdentityPass": 1}
        assert [n.op_type for n in built.graph.node] == ["Relu", "ReduceSum", "Greater", "If", "Add"]
        branch = built.graph.node[3].attribute[0].g
        assert [(n.op_type, list(n.input)) for n in branch.node] in ([("Identity", ["a"])], [("Neg", ["a"])])
        assert list(built.graph.node[0].output) == ["a"]
    assert_port_matches(built, "paddle", None)


def test_an_identity_of_a_weight_reads_the_weight():
    built = model(
        [helper.make_node("Identity", ["w"], ["c"]), helper.make_node("Add", ["x", "c"], ["y"])], {"w": [1.0] * 8}
    )
    with optimized(built, REGISTRY):
        assert _nodes(built) == [("Add", ["x", "w"], ["y"])]
    assert_port_matches(built, "paddle", None)


def _logical(op_type: str, value, shape=()):
    """m = x > 0; y = Where(op(m, constant), x, -x): the constant a bool of `shape`."""
    import numpy as np
    from onnx import numpy_helper

    nodes = [
        helper.make_node("Greater", ["x", "zero"], ["m"]),
        helper.make_node(op_type, ["c", "m"], ["k"]),
        helper.make_node("Neg", ["x"], ["n"]),
        helper.make_node("Where", ["k", "x", "n"], ["y"]),
    ]
    built = model(nodes, {"zero": 0.0})
    built.graph.initializer.append(numpy_helper.from_array(np.full(shape, value, dtype=bool), "c"))
    return built


@pytest.mark.parametrize(("op_type", "neutral"), [("And", True), ("Or", False)])
def test_a_logical_op_with_its_neutral_scalar_is_dropped(op_type, neutral):
    """transformers' masks start from `new_ones(()) & causal`: And with a 0-d True is its other operand."""
    built = _logical(op_type, neutral)
    with optimized(built, REGISTRY) as counts:
        assert counts == {"IdentityPass": 1} and op_type not in [n.op_type for n in built.graph.node]
    assert_port_matches(built, "paddle", None)


@pytest.mark.parametrize(("value", "shape"), [(False, ()), (True, (1, 1, 1, 1))], ids=["absorbing", "broadcasting-up"])
def test_a_logical_op_that_changes_its_operand_stays(value, shape):
    """And with False is not an identity; a [1, 1, 1, 1] True would add an axis to x [2, 3, 8]."""
    built = _logical("And", value, shape)
    with optimized(built, REGISTRY) as counts:
        assert "IdentityPass" not in counts and "And" in [n.op_type for n in built.graph.node]
