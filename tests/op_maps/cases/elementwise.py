"""Target-neutral cases for op_maps/<target>/elementwise.py."""

import numpy as np

from tests.op_maps.harness import NodeCase

rng = np.random.default_rng(0)
A = rng.standard_normal((3, 4)).astype(np.float32)
B = rng.standard_normal((3, 4)).astype(np.float32)
POS = (np.abs(A) + 0.1).astype(np.float32)

CASES = [
    NodeCase(  # int8: MindSpore clips in int32 and casts back
        "clip_int8_bounds",
        "Clip",
        {"x": np.int8([-128, -5, 0, 7, 127]), "lo": np.int8(-6), "hi": np.int8(100)},
        consts=("lo", "hi"),
    ),
    NodeCase("add_f32", "Add", {"a": A, "b": B}),
    NodeCase("add_broadcast_const", "Add", {"a": A, "b": B[0]}, consts=("b",)),
    NodeCase("add_int64", "Add", {"a": np.arange(6).reshape(2, 3), "b": np.arange(3)}),
    NodeCase("sub_f64", "Sub", {"a": A.astype(np.float64), "b": B.astype(np.float64)}),
    NodeCase(
        "mul_opset6_legacy_axis",
        "Mul",
        {"a": A, "b": B[:, 0]},
        attrs={"broadcast": 1, "axis": 0},
        opset=6,
        refuse="legacy broadcast",
    ),
    NodeCase("sqrt", "Sqrt", {"x": POS}),
    NodeCase("exp", "Exp", {"x": A}),
    NodeCase("log", "Log", {"x": POS}),
    NodeCase("abs_int32", "Abs", {"x": np.array([-3, 0, 4], dtype=np.int32)}),
    NodeCase("neg", "Neg", {"x": A}),
    NodeCase(
        "sqrt_int_refused",
        "Sqrt",
        {"x": np.array([4], dtype=np.int32)},
        refuse="not supported by the",
    ),
    NodeCase(
        "add_uint32_refused",
        "Add",
        {"a": np.array([1], np.uint32), "b": np.array([2], np.uint32)},
        refuse={"paddle": "uint32", "mindspore": "uint32 is not supported by the mindspore kernel"},
    ),
]
