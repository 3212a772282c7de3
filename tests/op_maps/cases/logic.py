"""Target-neutral cases for op_maps/<target>/logic.py."""

import numpy as np

from tests.op_maps.harness import NodeCase

rng = np.random.default_rng(0)
A = rng.integers(-3, 3, (3, 4)).astype(np.int8)
B = rng.integers(-3, 3, (4,)).astype(np.int8)
P = rng.random((3, 4)) > 0.5
Q = rng.random((4,)) > 0.5

CASES = [
    NodeCase("equal_int8_broadcast", "Equal", {"a": A, "b": B}),
    NodeCase("greater_float16", "Greater", {"a": A.astype(np.float16), "b": B.astype(np.float16)}),
    NodeCase("less_or_equal", "LessOrEqual", {"a": A.astype(np.float32), "b": B.astype(np.float32)}),
    NodeCase("and", "And", {"a": P, "b": Q}),
    NodeCase("xor", "Xor", {"a": P, "b": Q}),
    NodeCase("not", "Not", {"a": P}),
    NodeCase("where_int8", "Where", {"c": P, "x": A, "y": B}),
    NodeCase("bitwise_and_int16", "BitwiseAnd", {"a": A.astype(np.int16), "b": B.astype(np.int16)}),
    NodeCase("bitwise_not_uint8", "BitwiseNot", {"a": np.array([0, 1, 254], np.uint8)}),
    NodeCase(
        "bitshift_left_wraps",
        "BitShift",
        {"a": np.array([1, 128, 3], np.uint8), "b": np.array([1, 1, 7], np.uint8)},
        attrs={"direction": "LEFT"},
    ),
    NodeCase(
        "bitshift_right",
        "BitShift",
        {"a": np.array([255, 128, 3], np.uint8), "b": np.array([1, 7, 1], np.uint8)},
        attrs={"direction": "RIGHT"},
    ),
    NodeCase("and_int_refused", "And", {"a": A.astype(np.int32), "b": B.astype(np.int32)}, opset=7, refuse="dtype"),
]
