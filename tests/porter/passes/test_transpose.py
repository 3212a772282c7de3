"""porter.passes.transpose: a transpose of a transpose is one transpose; one that moves nothing is dropped."""

import numpy as np
import pytest
from onnx import TensorProto, helper

from porter.passes import optimized
from porter.targets import get_target
from tests.op_maps.harness import run_target
from tests.porter.passes.builders import SHAPE, assert_port_matches, from_graph, model

REGISTRY = get_target("paddle").registry


def _chain(perms, out_shape, extra_reader=False):
    """x [2, 3, 8] through one Transpose per perm; optionally the first result also read by a Relu."""
    nodes, current = [], "x"
    for i, perm in enumerate(perms):
        out = "y" if i == len(perms) - 1 else f"t{i}"
        nodes.append(helper.make_node("Transpose", [current], [out], perm=perm, name=f"transpose_{i}"))
        current = out
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)]
    if extra_reader:
        nodes.append(helper.make_node("Relu", ["t0"], ["r"]))
        outputs.append(helper.make_tensor_value_info("r", TensorProto.FLOAT, None))
    graph = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", TensorProto.FLOAT, SHAPE)], outputs)
    return from_graph(graph)


def _perms(built):
    return [(list(n.input), list(n.attribute[0].ints)) for n in built.graph.node if n.op_type == "Transpose"]


@pytest.mark.parametrize("target", ["paddle", "mindspore"])
def test_two_transposes_are_one_with_the_composed_permutation(target):
    """nn.MultiheadAttention's key: [1, 0, 2] then [0, 2, 1] reads x as [3, 8, 2] = perm [1, 2, 0]."""
    built = _chain([[1, 0, 2], [0, 2, 1]], [3, 8, 2])
    with optimized(built, get_target(target).registry) as counts:
        assert counts == {"TransposePass": 1}
        assert _perms(built) == [(["x"], [1, 2, 0])]
    code = assert_port_matches(built, target, None)
    assert code.count("transpose(") == 1, code


def test_transposes_that_undo_each_other_are_dropped():
    built = model(
        [
            helper.make_node("Transpose", ["x"], ["a"], perm=[2, 0, 1]),
            helper.make_node("Transpose", ["a"], ["b"], perm=[1, 2, 0]),
            helper.make_node("Relu", ["b"], ["y"]),
        ]
    )
    with optimized(built, REGISTRY) as counts:
        assert counts == {"TransposePass": 2}
        assert [(n.op_type, list(n.input)) for n in built.graph.node] == [("Relu", ["x"])]
    assert "transpose" not in assert_port_matches(built, "paddle", None)


def test_a_transpose_read_elsewhere_is_not_merged():
    built = _chain([[1, 0, 2], [0, 2, 1]], [3, 8, 2], extra_reader=True)
    with optimized(built, REGISTRY) as counts:
        assert counts == {}
        assert _perms(built) == [(["x"], [1, 0, 2]), (["t0"], [0, 2, 1])]


def test_a_graph_output_keeps_its_transpose_even_when_it_moves_nothing():
    built = _chain([[1, 0, 2], [1, 0, 2]], SHAPE)
    with optimized(built, REGISTRY) as counts:
        assert counts == {"TransposePass": 1}
        assert _perms(built) == [(["x"], [0, 1, 2])]
    assert_port_matches(built, "paddle", None)


def _unpack(x_shape, perm, squeeze_axis, out_shape, opset=18):
    """torch's packed-projection unpacking: Unsqueeze(x, 0), Transpose(perm), Squeeze(squeeze_axis)."""
    if opset >= 13:
        nodes = [
            helper.make_node("Unsqueeze", ["x", "zero"], ["u"]),
            helper.make_node("Transpose", ["u"], ["t"], perm=perm),
            helper.make_node("Squeeze", ["t", "squeezed"], ["y"]),
        ]
        inits = [helper.make_tensor("zero", TensorProto.INT64, [1], [0])]
        inits.append(helper.make_tensor("squeezed", TensorProto.INT64, [1], [squeeze_axis]))
    else:
        nodes = [
            helper.make_node("Unsqueeze", ["x"], ["u"], axes=[0]),
            helper.make_node("Transpose", ["u"], ["t"], perm=perm),
            helper.make_node("Squeeze", ["t"], ["y"], axes=[squeeze_axis]),
        ]
        inits = []
    graph = helper.make_graph(
        nodes,
        "unpack",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)],
        initializer=inits,
    )
    built = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    built.ir_version = 9
    return built


@pytest.mark.parametrize("target", ["paddle", "mindspore"])
@pytest.mark.parametrize("opset", [11, 18])
def test_an_axis_added_moved_and_removed_is_one_transpose(target, opset):
    """[2, 3, 8] -> [1, 2, 3, 8] -> [3, 2, 1, 8] -> [3, 2, 8] is transpose [1, 0, 2]."""
    built = _unpack(SHAPE, [2, 1, 0, 3], -2, [3, 2, 8], opset)
    with optimized(built, get_target(target).registry) as counts:
        assert counts == {"TransposePass": 1}
        assert [(n.op_type, list(n.input)) for n in built.graph.node] == [("Transpose", ["x"])]
        assert _perms(built) == [(["x"], [1, 0, 2])]
    assert_port_matches(built, target, None)


def test_squeezing_another_axis_is_left_as_it_is():
    """Here the squeezed axis is x's own size-1 axis, not the one added: no single transpose of x."""
    built = _unpack([2, 1, 8], [1, 0, 2, 3], 2, [2, 1, 8])
    with optimized(built, REGISTRY) as counts:
        assert counts == {}
        assert [n.op_type for n in built.graph.node] == ["Unsqueeze", "Transpose", "Squeeze"]


def test_a_transpose_of_unknown_rank_without_perm_is_left_as_it_is():
    """No perm reverses the axes, which takes the rank: unknown here (the node suite's affine_grid)."""
    nodes = [
        helper.make_node("Transpose", ["x"], ["t"], perm=[1, 0, 2]),
        helper.make_node("Transpose", ["t"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes,
        "t",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, None)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
    )
    built = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    with optimized(built, REGISTRY) as counts:
        assert counts == {}
        assert [n.op_type for n in built.graph.node] == ["Transpose", "Transpose"]


def _merged_key(perm=(0, 2, 1), split=(2, 4, 8, 3)):
    """x [2, 4, 3, 8] -> Reshape [-1, 3, 8] -> Transpose perm -> Reshape `split`: torch's SDPA decomposition
    transposing a grouped-query key with its batch and head axes merged."""
    from onnx import numpy_helper

    info = helper.make_tensor_value_info
    moved = [[8, 3, 8][axis] for axis in perm]
    nodes = [
        helper.make_node("Reshape", ["x", "merge"], ["r"]),
        helper.make_node("Transpose", ["r"], ["t"], perm=list(perm)),
        helper.make_node("Reshape", ["t", "split"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes,
        "k",
        [info("x", TensorProto.FLOAT, [2, 4, 3, 8])],
        [info("y", TensorProto.FLOAT, list(split))],
        initializer=[
            numpy_helper.from_array(np.array([-1, 3, 8], np.int64), "merge"),
            numpy_helper.from_array(np.array(split, np.int64), "split"),
        ],
        value_info=[info("r", TensorProto.FLOAT, [8, 3, 8]), info("t", TensorProto.FLOAT, moved)],
    )
    return from_graph(graph)


@pytest.mark.parametrize("target", ["paddle", "mindspore"])
def test_a_transpose_with_leading_axes_merged_and_split_back_is_one_transpose(target):
    built = _merged_key()
    with optimized(built, get_target(target).registry) as counts:
        assert counts == {"TransposePass": 1}
        assert [(n.op_type, list(n.input)) for n in built.graph.node] == [("Transpose", ["x"])]
        assert list(built.graph.node[0].attribute[0].ints) == [0, 1, 3, 2]
    x = np.random.default_rng(0).standard_normal((2, 4, 3, 8)).astype(np.float32)
    np.testing.assert_array_equal(run_target(built, target, [[x]])[0][0], x.transpose(0, 1, 3, 2))


@pytest.mark.parametrize(("perm", "split"), [((1, 0, 2), (3, 8, 8)), ((0, 2, 1), (4, 2, 8, 3))])
def test_a_merged_axis_moved_or_split_otherwise_stays(perm, split):
    """The merged axis moved by the transpose, or split back into other sizes: not a transpose of x."""
    built = _merged_key(perm, split)
    with optimized(built, REGISTRY) as counts:
        assert "TransposePass" not in counts and len(built.graph.node) == 3
