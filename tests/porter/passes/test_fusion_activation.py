"""porter.passes.fusion_activation: GELU (erf and tanh forms) and SiLU written back as Gelu / Swish."""

import math

import pytest
from onnx import TensorProto, helper

from porter.passes import FUSED_OPSET_KEY, optimized
from porter.targets import get_target
from tests.porter.passes.builders import SHAPE, assert_port_matches, maps, model

SQRT2 = math.sqrt(2)
TANH_SCALE = math.sqrt(2 / math.pi)


def gelu_erf(sqrt2=SQRT2):
    """torch.onnx's layout: x * (0.5 * (erf(x / sqrt2) + 1))."""
    nodes = [
        helper.make_node("Div", ["x", "sqrt2"], ["d"]),
        helper.make_node("Erf", ["d"], ["e"]),
        helper.make_node("Add", ["e", "one"], ["p"]),
        helper.make_node("Mul", ["half", "p"], ["m"]),
        helper.make_node("Mul", ["x", "m"], ["y"], name="gelu_final"),
    ]
    return model(nodes, {"sqrt2": sqrt2, "one": 1.0, "half": 0.5})


def gelu_erf_grouped():
    """(x * 0.5) * (1 + erf(x * (1 / sqrt2))): the other grouping, the reciprocal multiplied."""
    nodes = [
        helper.make_node("Mul", ["x", "inv_sqrt2"], ["d"]),
        helper.make_node("Erf", ["d"], ["e"]),
        helper.make_node("Add", ["one", "e"], ["p"]),
        helper.make_node("Mul", ["x", "half"], ["h"]),
        helper.make_node("Mul", ["h", "p"], ["y"]),
    ]
    return model(nodes, {"inv_sqrt2": 1 / SQRT2, "one": 1.0, "half": 0.5})


def gelu_tanh(cubic=0.044715):
    """transformers' gelu_new: 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x ** 3)))."""
    nodes = [
        helper.make_node("Mul", ["x", "half"], ["h"]),
        helper.make_node("Pow", ["x", "three"], ["cube"]),
        helper.make_node("Mul", ["cubic", "cube"], ["c"]),
        helper.make_node("Add", ["x", "c"], ["s"]),
        helper.make_node("Mul", ["scale", "s"], ["t_in"]),
        helper.make_node("Tanh", ["t_in"], ["t"]),
        helper.make_node("Add", ["one", "t"], ["p"]),
        helper.make_node("Mul", ["h", "p"], ["y"]),
    ]
    return model(nodes, {"half": 0.5, "three": 3.0, "cubic": cubic, "scale": TANH_SCALE, "one": 1.0})


def gelu_tanh_onnxscript():
    """onnxscript's decomposition: ((x * (tanh((x + x ** 3 * 0.044715) * sqrt(2 / pi)) + 1)) * 0.5."""
    nodes = [
        helper.make_node("Pow", ["x", "three"], ["cube"]),
        helper.make_node("Mul", ["cube", "cubic"], ["c"]),
        helper.make_node("Add", ["c", "x"], ["s"]),
        helper.make_node("Mul", ["s", "scale"], ["t_in"]),
        helper.make_node("Tanh", ["t_in"], ["t"]),
        helper.make_node("Add", ["t", "one"], ["p"]),
        helper.make_node("Mul", ["x", "p"], ["xp"]),
        helper.make_node("Mul", ["xp", "half"], ["y"]),
    ]
    return model(nodes, {"half": 0.5, "three": 3.0, "cubic": 0.044715, "scale": TANH_SCALE, "one": 1.0})


def silu():
    return model([helper.make_node("Sigmoid", ["x"], ["s"]), helper.make_node("Mul", ["s", "x"], ["y"])])


EXACT = {"paddle": "gelu(x, approximate=False)", "mindspore": "gelu(x, approximate='none')"}
TANH = {"paddle": "gelu(x, approximate=True)", "mindspore": "gelu(x, approximate='tanh')"}
CASES = {  # name: (graph, fused op, what each target's code calls)
    "gelu_erf": (gelu_erf, "Gelu", EXACT),
    "gelu_erf_grouped": (gelu_erf_grouped, "Gelu", EXACT),
    "gelu_tanh": (gelu_tanh, "Gelu", TANH),
    "gelu_tanh_onnxscript": (gelu_tanh_onnxscript, "Gelu", TANH),
    "silu": (silu, "Swish", {"paddle": "silu(x)"}),
}


@pytest.mark.parametrize("target", ["paddle", "mindspore"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_the_fused_op_matches_onnxruntime(target, case):
    build, op_type, call = CASES[case]
    if not maps(target, op_type):
        pytest.skip(f"{target} maps no {op_type}")
    built = build()
    with optimized(built, get_target(target).registry):
        assert [n.op_type for n in built.graph.node] == [op_type]
    assert_port_matches(built, target, call.get(target))  # MindSpore writes Swish as its formula


def test_the_fused_node_keeps_name_output_and_metadata():
    built = gelu_erf()
    built.graph.node[-1].metadata_props.add(key="pkg.torch.onnx.name_scopes", value="['', 'mlp.act', 'mul_2']")
    with optimized(built, get_target("paddle").registry) as counts:
        (node,) = built.graph.node
        props = {p.key: p.value for p in node.metadata_props}
        assert counts == {"GeluPass": 1}
        assert (node.name, list(node.input), list(node.output)) == ("gelu_final", ["x"], ["y"])
        assert props == {"pkg.torch.onnx.name_scopes": "['', 'mlp.act', 'mul_2']", FUSED_OPSET_KEY: "20"}
        assert [(a.name, a.s) for a in node.attribute] == [("approximate", b"none")]


@pytest.mark.parametrize("build", [lambda: gelu_erf(sqrt2=1.5), lambda: gelu_tanh(cubic=0.045)], ids=["erf", "tanh"])
def test_a_near_miss_is_not_fused(build):
    built = build()
    with optimized(built, get_target("paddle").registry) as counts:
        assert "GeluPass" not in counts and "Gelu" not in [n.op_type for n in built.graph.node]


@pytest.mark.parametrize("build", [gelu_erf, gelu_tanh, silu])
def test_an_intermediate_read_twice_keeps_the_decomposition(build):
    built = build()
    second_reader = {gelu_erf: "e", gelu_tanh: "t", silu: "s"}[build]
    built.graph.node.append(helper.make_node("Neg", [second_reader], ["extra"]))
    built.graph.output.append(helper.make_tensor_value_info("extra", TensorProto.FLOAT, SHAPE))
    with optimized(built, get_target("paddle").registry) as counts:
        assert counts == {}
    assert_port_matches(built, "paddle", None)
