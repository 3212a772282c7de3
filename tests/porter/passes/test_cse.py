"""porter.passes.cse: equal nodes merged within one source module, never across modules or for random ops."""

import pytest
from onnx import helper

from porter.passes import optimized
from porter.targets import get_target
from tests.porter.passes.builders import assert_port_matches, model, scoped


def _twins(first_module, second_module, op_type="Relu", **attrs):
    nodes = [
        scoped(helper.make_node(op_type, ["x"], ["a"], name="first", **attrs), first_module),
        scoped(helper.make_node(op_type, ["x"], ["b"], name="second", **attrs), second_module),
        helper.make_node("Add", ["a", "b"], ["y"]),
    ]
    return model(nodes)


def _ops(built):
    return [n.op_type for n in built.graph.node]


def test_equal_nodes_of_one_module_merge():
    built = _twins("encoder", "encoder")
    with optimized(built, get_target("paddle").registry) as counts:
        assert counts == {"ScopedCsePass": 1} and _ops(built) == ["Relu", "Add"]
        assert list(built.graph.node[1].input) == ["a", "a"]
    assert_port_matches(built, "paddle", None)


def test_nodes_of_two_modules_stay_apart():
    built = _twins("encoder", "decoder")  # merged, one class would read the other's value
    with optimized(built, get_target("paddle").registry) as counts:
        assert "ScopedCsePass" not in counts and _ops(built) == ["Relu", "Relu", "Add"]


def test_different_attributes_stay_apart():
    built = model(
        [
            helper.make_node("LeakyRelu", ["x"], ["a"], alpha=0.1),
            helper.make_node("LeakyRelu", ["x"], ["b"], alpha=0.2),
            helper.make_node("Add", ["a", "b"], ["y"]),
        ]
    )
    with optimized(built, get_target("paddle").registry) as counts:
        assert counts == {} and _ops(built) == ["LeakyRelu", "LeakyRelu", "Add"]


@pytest.mark.parametrize("op_type", ["RandomUniformLike", "Dropout"])
def test_random_draws_are_never_merged(op_type):
    attrs = {"seed": 1.0} if op_type == "RandomUniformLike" else {}
    built = _twins("block", "block", op_type, **attrs)
    with optimized(built, get_target("paddle").registry) as counts:
        assert "ScopedCsePass" not in counts and _ops(built).count(op_type) == 2
