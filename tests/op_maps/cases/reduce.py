"""Target-neutral cases for op_maps/<target>/reduce.py."""

import numpy as np

from tests.op_maps.harness import NodeCase

rng = np.random.default_rng(0)
X = rng.standard_normal((2, 3, 4)).astype(np.float32)
I64 = np.int64

CASES = [
    NodeCase("reducesum_axes_input", "ReduceSum", {"x": X, "a": np.array([0, -1], I64)}, consts=("a",)),
    NodeCase(
        "reducesum_noop_empty_axes",
        "ReduceSum",
        {"x": X, "a": np.array([], I64)},
        attrs={"noop_with_empty_axes": 1},
    ),
    NodeCase("reducemean_v13_attr", "ReduceMean", {"x": X}, attrs={"axes": [1], "keepdims": 0}, opset=13),
    NodeCase(
        "reducemax_int8",
        "ReduceMax",
        {"x": rng.integers(-9, 9, (3, 4)).astype(np.int8), "a": np.array([1], I64)},
        consts=("a",),
        refuse={"mindspore": "int8 is not supported by the mindspore kernel"},
    ),
    NodeCase("reducel2", "ReduceL2", {"x": X, "a": np.array([2], I64)}, consts=("a",)),
    NodeCase("reducelogsumexp_all", "ReduceLogSumExp", {"x": X}),
    NodeCase(
        "reduceprod_empty",
        "ReduceProd",
        {"x": np.zeros((2, 0, 3), np.float32), "a": np.array([1], I64)},
        consts=("a",),
    ),
    NodeCase(
        "argmax_select_last",
        "ArgMax",
        {"x": np.float32([[1, 3, 3], [2, 2, 1]])},
        attrs={"axis": 1, "select_last_index": 1},
    ),
    NodeCase("argmin_keepdims0", "ArgMin", {"x": X}, attrs={"axis": 2, "keepdims": 0}),
    NodeCase(
        "cumsum_exclusive_reverse",
        "CumSum",
        {"x": X, "ax": np.array(1, I64)},
        attrs={"exclusive": 1, "reverse": 1},
        consts=("ax",),
    ),
    NodeCase(
        "cumprod_int32",
        "CumProd",
        {"x": np.arange(1, 7, dtype=np.int32).reshape(2, 3), "ax": np.array(1, I64)},
        consts=("ax",),
    ),
    NodeCase("reducesum_bool_refused", "ReduceSum", {"x": X > 0}, opset=11, refuse="dtype|boolean"),
]

# booleans: ReduceMax is any, ReduceMin is all (axes constant, and read at run time); Paddle refuses them
_FLAGS = np.array([[True, False, False], [True, True, True]])
_NO_PADDLE = {"paddle": "boolean reductions are not supported"}
CASES += [
    NodeCase(
        "reducemax_bool_const_axes",
        "ReduceMax",
        {"x": _FLAGS, "a": np.array([1], np.int64)},
        consts=("a",),
        refuse=_NO_PADDLE,
    ),
    NodeCase(
        "reducemin_bool_runtime_axes",
        "ReduceMin",
        {"x": _FLAGS, "a": np.array([0], np.int64)},
        attrs={"keepdims": 0},
        refuse=_NO_PADDLE,
    ),
]
