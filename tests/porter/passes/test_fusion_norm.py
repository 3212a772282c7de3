"""porter.passes.fusion_norm: an RMSNorm's decomposition written back as RMSNormalization."""

import numpy as np
import pytest
from onnx import helper, numpy_helper

from porter.passes import optimized
from porter.targets import get_target
from tests.porter.passes.builders import assert_port_matches, maps, model


def rms_norm(axes=(-1,), keepdims=1, scale_first=True):
    weight = np.random.default_rng(0).standard_normal(8)
    last = ["w", "normed"] if scale_first else ["normed", "w"]
    nodes = [
        helper.make_node("Pow", ["x", "two"], ["sq"]),
        helper.make_node("ReduceMean", ["sq", "axes"], ["mean"], keepdims=keepdims),
        helper.make_node("Add", ["mean", "eps"], ["var"]),
        helper.make_node("Sqrt", ["var"], ["std"]),
        helper.make_node("Reciprocal", ["std"], ["inv"]),
        helper.make_node("Mul", ["x", "inv"], ["normed"]),
        helper.make_node("Mul", last, ["y"]),
    ]
    built = model(nodes, {"two": 2.0, "eps": 1e-6, "w": weight})
    built.graph.initializer.append(numpy_helper.from_array(np.array(axes, dtype=np.int64), "axes"))
    return built


@pytest.mark.parametrize("target", ["paddle", "mindspore"])
@pytest.mark.parametrize("scale_first", [True, False])
def test_the_fused_op_matches_onnxruntime(target, scale_first):
    if not maps(target, "RMSNormalization"):
        pytest.skip(f"{target} maps no RMSNormalization")
    built = rms_norm(scale_first=scale_first)
    with optimized(built, get_target(target).registry) as counts:
        (node,) = built.graph.node
        assert counts == {"RmsNormPass": 1} and list(node.input) == ["x", "w"]
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        assert attrs == {"axis": -1, "epsilon": pytest.approx(1e-6)}
    assert_port_matches(built, target, "_rms_norm(" if target == "paddle" else None)


@pytest.mark.parametrize("variant", [{"axes": (1,)}, {"axes": (1, 2)}, {"keepdims": 0}], ids=str)
def test_another_reduction_is_not_fused(variant):
    built = rms_norm(**variant)
    with optimized(built, get_target("paddle").registry) as counts:
        assert "RmsNormPass" not in counts
        assert "RMSNormalization" not in [n.op_type for n in built.graph.node]
