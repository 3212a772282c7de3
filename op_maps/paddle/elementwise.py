"""Elementwise arithmetic and math: Add, Sub, Mul, Div, Pow, Mod, Max, Min, Sum, Mean, unary math, Clip.

Paddle 3.3's CPU kernels lack most arithmetic for int8/int16/uint8 and float16 (measured: add, mul,
abs, maximum, where fail for them). Those dtypes are computed exactly in a wider type and cast back:
small integers in int32 (wrap-around preserved by the cast), float16/bfloat16 in float32 (a single
+ - * / rounded to float16 from float32 equals the native float16 result).
"""

from porter.dtypes import FLOATS
from porter.op_maps.paddle._registry import op
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

WIDEN = {"int8": "int32", "int16": "int32", "uint8": "int32", "float16": "float32", "bfloat16": "float32"}
_NUMERIC = {"float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8"}


# make(*inputs) computed in a kernel-supported dtype and cast back to `dtype` when needed (also rows.direct's
# `wrap`); the one reading is porter.semantics.elementwise.widening, MindSpore's too
widened = widening(WIDEN, lambda x, dtype: f"paddle.cast({x}, {dtype})", "Paddle's CPU kernels")


arithmetic(op, _NUMERIC, __name__, widened)


@op("Div", dtypes=_NUMERIC)
def div(n):
    """a / b; integer division truncates toward zero as in ONNX"""
    legacy_broadcast(n)
    dtype = n.in_dtype(0)
    if dtype in FLOATS:
        return widened(n, operands(n), dtype, lambda x, y: f"{x} / {y}")
    a, b = n.x(0), n.x(1)
    # exact for |values| < 2**53, which covers every int32 and realistic int64 operands
    return f"paddle.cast(paddle.trunc(paddle.cast({a}, 'float64') / paddle.cast({b}, 'float64')), {n.dtype(dtype)})"


@op("Mod", dtypes=_NUMERIC)
def mod(n):
    """fmod=0: sign of the divisor (integers); fmod=1: C fmod, sign of the dividend"""
    fmod = is_fmod(n)
    dtype = n.in_dtype(0)
    a, b = n.x(0), n.x(1)
    if not fmod:
        return widened(n, [a, b], dtype, lambda x, y: f"paddle.remainder({x}, {y})")
    helper = n.helper("_fmod", _FMOD)
    if dtype in FLOATS:
        return widened(n, [a, b], dtype, lambda x, y: f"{helper}({x}, {y})")
    return f"paddle.cast({helper}(paddle.cast({a}, 'float64'), paddle.cast({b}, 'float64')), {n.dtype(dtype)})"


_FMOD = """
def _fmod(a, b):
    # C fmod: the remainder has the sign of the dividend.
    return a - b * paddle.trunc(a / b)
"""


@op("Pow", dtypes=_NUMERIC)
def pow_(n):
    """paddle.pow with the exponent cast to the base's dtype"""
    legacy_broadcast(n)
    dtype = n.in_dtype(0)
    base, exponent = n.x(0), (dtype in FLOATS and scalar_literal(n, 1, 0)) or n.x(1)
    if n.in_dtype(1) != dtype:
        exponent = f"paddle.cast({exponent}, {n.dtype(dtype)})"
    if dtype in ("int32", "int64", "int8", "int16", "uint8"):
        # paddle.pow on integers goes through floating point; compute in float64 and round (exact range).
        return f"paddle.cast(paddle.round(paddle.pow(paddle.cast({base}, 'float64'), paddle.cast({exponent}, 'float64'))), {n.dtype(dtype)})"
    return widened(n, [base, exponent], dtype, lambda x, y: f"paddle.pow({x}, {y})")


variadic(op, "paddle.maximum", "paddle.minimum", _NUMERIC, __name__, widened)
unary_math(op, "paddle", FLOATS, __name__, widened)
unary(op, "Abs", "paddle.abs", _NUMERIC, __name__, widened)
unary(op, "Neg", "paddle.neg", _NUMERIC - {"uint8"}, __name__, widened)
unary(op, "Sign", "paddle.sign", _NUMERIC, __name__, widened)


@op("Round", dtypes=FLOATS)
def round_(n):
    """round half to even"""
    helper = n.helper("_round_half_even", _ROUND)
    return widened(n, [n.x(0)], n.in_dtype(0), lambda x: f"{helper}({x})")


_ROUND = """
def _round_half_even(x):
    # ONNX Round: halves go to the even neighbour (numpy.round), not away from zero.
    up = paddle.floor(x + 0.5)
    tie_to_odd = (up - x == 0.5) & (paddle.remainder(up, paddle.full_like(up, 2.0)) != 0)
    return paddle.where(tie_to_odd, up - 1, up)
"""


@op("IsNaN", dtypes=FLOATS)
def is_nan(n):
    """paddle.isnan"""
    x = n.x(0)
    return f"paddle.isnan(paddle.cast({x}, 'float32'))" if n.in_dtype(0) in WIDEN else f"paddle.isnan({x})"


@op("IsInf", dtypes=FLOATS)
def is_inf(n):
    """paddle.isinf, optionally only +inf or -inf"""
    positive, negative = is_inf_sides(n)
    x = n.x(0)
    if n.in_dtype(0) in WIDEN:
        x = f"paddle.cast({x}, 'float32')"
    if positive and negative:
        return f"paddle.isinf({x})"
    if positive:
        return f"paddle.isinf({x}) & ({x} > 0)"
    if negative:
        return f"paddle.isinf({x}) & ({x} < 0)"
    return f"paddle.zeros_like({x}, dtype='bool')"


@op("Clip", dtypes=_NUMERIC)
def clip(n):
    """paddle.clip between min and max (attributes before opset 11, optional inputs after)"""
    dtype = n.in_dtype(0)
    spell = n.lit if n.since < 11 else n.x  # a float attribute before opset 11, an input index after
    lo, hi = (None if b is None else spell(b) for b in clip_bounds(n))

    def make(x, *bounds):
        expr = x
        it = iter(bounds)
        if lo is not None:
            expr = f"paddle.maximum({expr}, {next(it)})"
        if hi is not None:
            expr = f"paddle.minimum({expr}, {next(it)})"
        return expr

    bounds = [b for b in (lo, hi) if b is not None]
    if n.since < 11:
        bounds = [f"paddle.to_tensor({b}, dtype={n.x(0)}.dtype)" for b in bounds]
    return widened(n, [n.x(0), *bounds], dtype, make)
