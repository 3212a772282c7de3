"""porter.passes.pipeline: the optimized graph while inside, the source's graph after, weights never read."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from porter.errors import PorterError
from porter.frontends.onnx_source import load_onnx
from porter.passes import optimized
from porter.passes.pipeline import check_reads
from porter.targets import get_target
from tests.porter.passes.builders import assert_port_matches, model

REGISTRY = get_target("paddle").registry


def _silu_after_identity():
    return model(
        [
            helper.make_node("Identity", ["x"], ["i"]),
            helper.make_node("Sigmoid", ["i"], ["s"]),
            helper.make_node("Mul", ["i", "s"], ["y"]),
            helper.make_node("Neg", ["x"], ["dead"]),
        ]
    )


def test_the_graph_is_optimized_inside_and_restored_after():
    built = _silu_after_identity()
    built.graph.value_info.extend(helper.make_tensor_value_info(n, TensorProto.FLOAT, [2, 3, 8]) for n in "is")
    before = built.SerializeToString()
    with optimized(built, REGISTRY) as counts:
        assert counts == {"IdentityPass": 1, "SiluPass": 1}
        assert [(n.op_type, list(n.input), list(n.output)) for n in built.graph.node] == [("Swish", ["x"], ["y"])]
    assert built.SerializeToString() == before


def test_the_graph_is_restored_when_lowering_fails():
    built = _silu_after_identity()
    before = built.SerializeToString()
    with pytest.raises(RuntimeError, match="lowering failed"), optimized(built, REGISTRY):
        raise RuntimeError("lowering failed")
    assert built.SerializeToString() == before


def test_nothing_to_do_leaves_the_nodes_alone():
    built = model([helper.make_node("Relu", ["x"], ["y"])])
    first = built.graph.node[0]
    with optimized(built, REGISTRY) as counts:
        assert counts == {} and built.graph.node[0] is first


def test_large_weights_are_never_read(tmp_path):
    """The external data file is emptied after loading: a pass that read a weight would fail."""
    weight = np.random.default_rng(0).standard_normal((8, 4096)).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["x", "w"], ["h"]),
            helper.make_node("Sigmoid", ["h"], ["s"]),
            helper.make_node("Mul", ["h", "s"], ["y"]),
        ],
        "weights",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4096])],
        initializer=[numpy_helper.from_array(weight, "w")],
    )
    source = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    onnx.save(source, tmp_path / "m.onnx", save_as_external_data=True, location="m.data", size_threshold=0)
    loaded = load_onnx(tmp_path / "m.onnx", lazy=True)
    (tmp_path / "m.data").write_bytes(b"")
    with optimized(loaded, REGISTRY) as counts:
        assert counts == {"SiluPass": 1} and [n.op_type for n in loaded.graph.node] == ["MatMul", "Swish"]
        (init,) = loaded.graph.initializer
        assert init.data_location == TensorProto.EXTERNAL and not init.raw_data


def test_a_port_through_the_pipeline_matches_onnxruntime():
    assert_port_matches(_silu_after_identity(), "paddle", "silu(")


def test_a_read_of_an_undefined_value_names_the_node():
    built = model([helper.make_node("Relu", ["x"], ["y"])])
    nodes = [helper.make_node("Relu", ["gone"], ["y"], name="relu_3")]
    with pytest.raises(PorterError, match="node 'relu_3' reads 'gone'"):
        check_reads(nodes, built.graph)
