"""Elementwise arithmetic and math for MindSpore (the classic mindspore.ops API, CPU/GPU/Ascend).

MindSpore 2.10's CPU kernels take bfloat16 for Add, Mul, Div and Neg only (measured under GRAPH_MODE and
PYNATIVE_MODE; GRAPH_MODE's Sub has none, nor do Sigmoid, MatMul, Gather, Maximum or the math functions):
the other bfloat16 ops are computed through float32 and rounded back once (`widened`).
"""

from porter.dtypes import FLOATS
from porter.op_maps.mindspore._registry import op
from porter.semantics import legacy_broadcast
from porter.semantics.elementwise import (
    arithmetic,
    clip_bounds,
    is_fmod,
    is_inf_sides,
    operands,
    scalar_literal,
    unary,
    unary_math,
    variadic,
    widening,
)

_INTS = {"int8", "int16", "int32", "int64", "uint8"}
_NUMERIC = {"float16", "float32", "float64"} | _INTS
_FLOAT = FLOATS - {"bfloat16"}
_WITH_BF16 = _NUMERIC | {"bfloat16"}
# the ops whose CPU kernels take bfloat16 in both modes (a Python operator or call on bfloat16 tensors)
_BF16_KERNELS = {"Add", "Mul", "Div", "Neg"}

widened = widening(
    {"bfloat16": "float32"},
    lambda x, dtype: f"ops.cast({x}, {dtype})",
    "MindSpore's CPU kernels",
    native=lambda n, dtype: n.op_type in _BF16_KERNELS,
)

arithmetic(op, _WITH_BF16, __name__, widened)


@op("Div", dtypes=_WITH_BF16)
def div(n):
    """a / b; integer division truncates toward zero as in ONNX"""
    legacy_broadcast(n)
    if n.in_dtype(0) in FLOATS:  # bfloat16 included: its CPU kernel rounds once, as float32 then a cast would
        a, b = operands(n)
        return f"{a} / {b}"
    return f"ops.cast(ops.trunc(ops.cast({n.x(0)}, mindspore.float64) / ops.cast({n.x(1)}, mindspore.float64)), {n.dtype(n.in_dtype(0))})"


@op("Mod", dtypes=_NUMERIC)
def mod(n):
    """fmod=0: sign of the divisor (integers); fmod=1: C fmod, sign of the dividend"""
    fmod = is_fmod(n)
    a, b = n.x(0), n.x(1)
    if not fmod:
        return f"ops.floor_mod({a}, {b})"
    return f"ops.fmod({a}, {b})"


@op("Pow", dtypes={"float32", "float64", "int32", "int64"})
def pow_(n):
    """ops.pow with the exponent cast to the base's dtype"""
    legacy_broadcast(n)
    dtype = n.in_dtype(0)
    exponent = (dtype in FLOATS and scalar_literal(n, 1, 0)) or n.x(1)
    exponent = exponent if n.in_dtype(1) == dtype else f"ops.cast({exponent}, {n.dtype(dtype)})"
    return f"ops.pow({n.x(0)}, {exponent})"


variadic(op, "ops.maximum", "ops.minimum", _WITH_BF16, __name__, widened)
unary_math(op, "ops", FLOATS, __name__, widened)
_SIGNED = {"float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64"}
unary(op, "Abs", "ops.abs", _SIGNED, __name__, widened)
unary(op, "Neg", "ops.neg", _SIGNED, __name__, widened)
unary(op, "Sign", "ops.sign", {"float16", "float32", "float64", "int32", "int64"}, __name__)


@op("Round", dtypes=_FLOAT)
def round_(n):
    """round half to even"""
    helper = n.helper("_round_half_even", _ROUND)
    return f"{helper}({n.x(0)})"


_ROUND = """
def _round_half_even(x):
    up = ops.floor(x + 0.5)
    tie_to_odd = ops.logical_and(up - x == 0.5, ops.floor_mod(up, 2.0) != 0)
    return ops.where(tie_to_odd, up - 1, up)
"""


@op("IsNaN", dtypes=_FLOAT)
def is_nan(n):
    """ops.isnan"""
    return f"ops.isnan({n.x(0)})"


@op("IsInf", dtypes=_FLOAT)
def is_inf(n):
    """ops.isinf, optionally only +inf or -inf"""
    positive, negative = is_inf_sides(n)
    x = n.x(0)
    if positive and negative:
        return f"ops.isinf({x})"
    if positive:
        return f"ops.logical_and(ops.isinf({x}), {x} > 0)"
    if negative:
        return f"ops.logical_and(ops.isinf({x}), {x} < 0)"
    return f"ops.zeros_like({x}).astype(mindspore.bool_)"


@op("Clip", dtypes={"float16", "float32", "float64", "int32", "int64", "int8", "uint8", "int16"})
def clip(n):
    """ops.maximum / ops.minimum with min and max (attributes before opset 11, optional inputs after); small
    integers in int32 (exact: the result is one of the operands), cast back"""
    small = n.in_dtype(0) in ("int8", "uint8", "int16")
    wide = (lambda v: f"{v}.astype(mindspore.int32)") if small else (lambda v: v)
    x = wide(n.x(0))
    lo, hi = clip_bounds(n)
    if n.since < 11:  # float attributes
        lo, hi = (None if b is None else f"mindspore.Tensor({b!r}, dtype={x}.dtype)" for b in (lo, hi))
    else:  # input indices
        lo, hi = (None if b is None else wide(n.x(b)) for b in (lo, hi))
    if lo is not None:
        x = f"ops.maximum({x}, {lo})"
    if hi is not None:
        x = f"ops.minimum({x}, {hi})"
    return f"{x}.astype({n.dtype(n.in_dtype(0))})" if small else x
