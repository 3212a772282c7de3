"""porter.passes.index_grid: GatherND on a grid of whole aranges is the data with size-1 axes inserted."""

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from porter.convert import generate
from porter.passes import optimized
from porter.targets import get_target
from tests.op_maps.harness import run_target
from tests.porter.passes.builders import from_graph


def _i64(name, value):
    return numpy_helper.from_array(np.asarray(value, dtype=np.int64), name)


def _grid_gather(start=0, swapped=False):
    """y = x[arange(batch) along grid axis 0, arange(seq) along grid axis 2] as torch.onnx writes a mask's
    `position_ids[batch_idx, q_idx]`: x [batch, seq] -> y [batch, 1, seq, 1]. `start`: the batch arange's
    first index; `swapped`: the batch arange along grid axis 2 and the sequence's along 0 (a transpose)."""
    lay_b, lay_s = ([0, 1, 3], [1, 2, 3]) if swapped else ([1, 2, 3], [0, 1, 3])
    grid = ["seq", 1, "batch", 1] if swapped else ["batch", 1, "seq", 1]
    first, second = ("s", "b") if swapped else ("b", "s")
    nodes = [
        helper.make_node("Shape", ["x"], ["shape"]),
        helper.make_node("Gather", ["shape", "zero"], ["b"]),
        helper.make_node("Gather", ["shape", "one"], ["s"]),
        helper.make_node("Range", ["start", "b", "one"], ["rb"]),
        helper.make_node("Range", ["zero", "s", "one"], ["rs"]),
        helper.make_node("Unsqueeze", ["rb", "lay_b"], ["ub"]),
        helper.make_node("Unsqueeze", ["rs", "lay_s"], ["us"]),
        helper.make_node("Unsqueeze", [first, "axis0"], ["g0"]),
        helper.make_node("Unsqueeze", [second, "axis0"], ["g2"]),
        helper.make_node("Concat", ["g0", "one_1d", "g2", "one_1d"], ["grid"], axis=0),
        helper.make_node("Expand", ["ub", "grid"], ["eb"]),
        helper.make_node("Expand", ["us", "grid"], ["es"]),
        helper.make_node("Unsqueeze", ["eb", "last"], ["ib"]),
        helper.make_node("Unsqueeze", ["es", "last"], ["is"]),
        helper.make_node("Concat", ["ib", "is"], ["indices"], axis=-1),
        helper.make_node("GatherND", ["x", "indices"], ["y"]),
    ]
    info = helper.make_tensor_value_info
    graph = helper.make_graph(
        nodes,
        "grid",
        [info("x", TensorProto.INT64, ["batch", "seq"])],
        [info("y", TensorProto.INT64, grid)],
        initializer=[
            _i64("zero", 0),
            _i64("one", 1),
            _i64("start", start),
            _i64("lay_b", lay_b),
            _i64("lay_s", lay_s),
            _i64("axis0", [0]),
            _i64("one_1d", [1]),
            _i64("last", [-1]),
        ],
        value_info=[
            info("rb", TensorProto.INT64, ["batch"]),
            info("rs", TensorProto.INT64, ["seq"]),
            info("ub", TensorProto.INT64, [1, 1, "batch", 1] if swapped else ["batch", 1, 1, 1]),
            info("us", TensorProto.INT64, ["seq", 1, 1, 1] if swapped else [1, 1, "seq", 1]),
        ],
    )
    return from_graph(graph)


def _ops(built):
    return [n.op_type for n in built.graph.node]


def _assert_port_matches(built, target: str) -> str:
    _, code = generate(built, target)
    for shape in [(2, 5), (3, 4)]:
        x = np.random.default_rng(0).integers(0, 100, shape)
        expected = ort.InferenceSession(built.SerializeToString()).run(None, {"x": x})[0]
        np.testing.assert_array_equal(run_target(built, target, [[x]])[0][0], expected)
    return code


@pytest.mark.parametrize("target", ["paddle", "mindspore"])
def test_a_gather_on_a_grid_of_aranges_is_an_unsqueeze(target):
    built = _grid_gather()
    with optimized(built, get_target(target).registry) as counts:
        assert counts.get("IndexGridPass") == 1
        ops = _ops(built)
        assert "GatherND" not in ops and "Range" not in ops and ops.count("Unsqueeze") == 1, ops
    code = _assert_port_matches(built, target)
    view = {"paddle": "paddle.unsqueeze(x, axis=[1, 3])", "mindspore": "ops.expand_dims(ops.expand_dims(x, 1), 3)"}
    assert "gather" not in code.lower() and view[target] in code, code


@pytest.mark.parametrize("target", ["paddle", "mindspore"])
def test_aranges_laid_out_of_order_stay_a_gather(target):
    """x[arange(batch)] along grid axis 2 and x[:, arange(seq)] along axis 0 is a transpose, not a view."""
    built = _grid_gather(swapped=True)
    with optimized(built, get_target(target).registry) as counts:
        assert "IndexGridPass" not in counts and "GatherND" in _ops(built)
    _assert_port_matches(built, target)


def test_an_arange_that_does_not_start_at_zero_stays_a_gather():
    built = _grid_gather(start=1)
    with optimized(built, get_target("paddle").registry) as counts:
        assert "IndexGridPass" not in counts and "GatherND" in _ops(built)


def test_without_the_exporters_shapes_nothing_is_rewritten():
    built = _grid_gather()
    del built.graph.value_info[:]
    with optimized(built, get_target("paddle").registry) as counts:
        assert "IndexGridPass" not in counts and "GatherND" in _ops(built)
