"""Target-neutral cases for op_maps/<target>/control.py (If, Loop, Scan)."""

import numpy as np
from onnx import TensorProto, helper

from tests.op_maps.harness import NodeCase


def _branch(name: str, value: float) -> object:
    """A branch returning outer `x` plus a constant: outer-scope values must be visible."""
    const = helper.make_node("Constant", [], [f"{name}_c"], value_float=value)
    add = helper.make_node("Add", ["x", f"{name}_c"], [f"{name}_out"])
    return helper.make_graph(
        [const, add], name, [], [helper.make_tensor_value_info(f"{name}_out", TensorProto.FLOAT, [3])]
    )


def _scalar(name: str, elem_type: int):
    info = helper.make_tensor_value_info(name, elem_type, None)
    info.type.tensor_type.shape.SetInParent()  # rank 0, not "unknown rank"
    return info


def _loop_body() -> object:
    """acc_out = acc + x (x from the outer scope); scan output |acc_out| per iteration."""
    nodes = [
        helper.make_node("Add", ["acc_in", "x"], ["acc_out"]),
        helper.make_node("Abs", ["acc_out"], ["acc_abs"]),
        helper.make_node("Identity", ["cond_in"], ["cond_out"]),
    ]
    return helper.make_graph(
        nodes,
        "body",
        [
            _scalar("iter", TensorProto.INT64),
            _scalar("cond_in", TensorProto.BOOL),
            helper.make_tensor_value_info("acc_in", TensorProto.FLOAT, [3]),
        ],
        [
            _scalar("cond_out", TensorProto.BOOL),
            helper.make_tensor_value_info("acc_out", TensorProto.FLOAT, [3]),
            helper.make_tensor_value_info("acc_abs", TensorProto.FLOAT, [3]),
        ],
    )


X = np.array([1.0, -2.0, 3.0], np.float32)

CASES = [
    NodeCase(
        "if_true",
        "If",
        {"cond": np.array(True), "x": X},
        attrs={"then_branch": _branch("then", 1.0), "else_branch": _branch("else", -1.0)},
        outer=("x",),
    ),
    NodeCase(
        "if_false",
        "If",
        {"cond": np.array(False), "x": X},
        attrs={"then_branch": _branch("then", 1.0), "else_branch": _branch("else", -1.0)},
        outer=("x",),
    ),
    NodeCase(
        "loop_trip_count",
        "Loop",
        {"M": np.array(4, np.int64), "cond": np.array(True), "acc": np.zeros(3, np.float32), "x": X},
        attrs={"body": _loop_body()},
        n_outputs=2,
        outer=("x",),
        output_shapes={0: [3]},
    ),
]
