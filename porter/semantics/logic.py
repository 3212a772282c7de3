"""The target-neutral reading of the logic ops (op_maps/<target>/logic.py): which ONNX ops are the frameworks'
same-named boolean and bitwise calls, and BitShift's direction and widths."""

from __future__ import annotations

# ONNX op -> the name both frameworks give the two-argument call (paddle.logical_and, ops.logical_and, ...)
BOOLEAN = {"And": "logical_and", "Or": "logical_or", "Xor": "logical_xor"}
BITWISE = {"BitwiseAnd": "bitwise_and", "BitwiseOr": "bitwise_or", "BitwiseXor": "bitwise_xor"}

BIT_WIDTH = {"int8": 8, "int16": 16, "int32": 32, "int64": 64, "uint8": 8}


def bit_shift_args(n) -> tuple[bool, int]:
    """BitShift's (shifts left, bit width of the operand's type)."""
    direction = n.attr("direction")
    if direction not in ("LEFT", "RIGHT"):
        n.refuse(f"direction={direction!r} is not an ONNX value")
    return direction == "LEFT", BIT_WIDTH[n.in_dtype(0)]
