"""Elementwise arithmetic and math: Add, Sub, Mul, Div, Pow, unary math functions."""

from porter.dtypes import FLOATS
from porter.op_maps.paddle._registry import REGISTRY, op
from porter.rows import direct

# Unary math: ONNX op -> paddle call. Float-only kernels are marked so other dtypes are refused.
for _op, _call in {
    "Sqrt": "paddle.sqrt",
    "Exp": "paddle.exp",
    "Log": "paddle.log",
    "Sin": "paddle.sin",
    "Cos": "paddle.cos",
    "Tan": "paddle.tan",
    "Tanh": "paddle.tanh",
    "Floor": "paddle.floor",
    "Ceil": "paddle.ceil",
    "Reciprocal": "paddle.reciprocal",
}.items():
    direct(REGISTRY, _op, _call, dtypes=FLOATS)

direct(REGISTRY, "Abs", "paddle.abs")
direct(REGISTRY, "Neg", "paddle.neg")


def _check_legacy_broadcast(n):
    """Opset < 7 binary ops carry `broadcast`/`axis`; numpy-style broadcasting covers axis-less use."""
    if n.since < 7:
        broadcast = n.attr("broadcast", 0)
        axis = n.attr("axis", None)
        if broadcast and axis is not None:
            n.refuse("legacy broadcast with an explicit axis is not supported")
    if n.since < 6:
        n.attr("consumed_inputs", None)


@op("Add")
def add(n):
    """paddle.add"""
    _check_legacy_broadcast(n)
    return f"{n.x(0)} + {n.x(1)}"


@op("Sub")
def sub(n):
    """paddle.subtract"""
    _check_legacy_broadcast(n)
    return f"{n.x(0)} - {n.x(1)}"


@op("Mul")
def mul(n):
    """paddle.multiply"""
    _check_legacy_broadcast(n)
    return f"{n.x(0)} * {n.x(1)}"
