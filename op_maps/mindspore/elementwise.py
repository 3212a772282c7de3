"""Elementwise arithmetic and math for MindSpore (the classic mindspore.ops API, CPU/GPU/Ascend)."""

from porter.dtypes import FLOATS
from porter.op_maps.mindspore._registry import op
from porter.semantics import check_variadic, legacy_broadcast

_INTS = {"int8", "int16", "int32", "int64", "uint8"}
_NUMERIC = {"float16", "float32", "float64"} | _INTS
_FLOAT = FLOATS - {"bfloat16"}


def _binary(op_type: str, symbol: str):
    @op(op_type, dtypes=_NUMERIC)
    def emit(n):
        legacy_broadcast(n)
        return f"{n.x(0)} {symbol} {n.x(1)}"

    emit.__name__ = op_type.lower()
    emit.__doc__ = f"a {symbol} b"
    return emit


add = _binary("Add", "+")
sub = _binary("Sub", "-")
mul = _binary("Mul", "*")


@op("Div", dtypes=_NUMERIC)
def div(n):
    """a / b; integer division truncates toward zero as in ONNX"""
    legacy_broadcast(n)
    if n.in_dtype(0) in _FLOAT:
        return f"{n.x(0)} / {n.x(1)}"
    return f"ops.cast(ops.trunc(ops.cast({n.x(0)}, mindspore.float64) / ops.cast({n.x(1)}, mindspore.float64)), {n.dtype(n.in_dtype(0))})"


@op("Mod", dtypes=_NUMERIC)
def mod(n):
    """fmod=0: sign of the divisor (integers); fmod=1: C fmod, sign of the dividend"""
    fmod = int(n.attr("fmod", 0))
    a, b = n.x(0), n.x(1)
    if not fmod:
        if n.in_dtype(0) in _FLOAT:
            n.refuse("fmod=0 is undefined for floating point inputs")
        return f"ops.floor_mod({a}, {b})"
    return f"ops.fmod({a}, {b})"


@op("Pow", dtypes={"float32", "float64", "int32", "int64"})
def pow_(n):
    """ops.pow with the exponent cast to the base's dtype"""
    legacy_broadcast(n)
    dtype = n.in_dtype(0)
    exponent = n.x(1) if n.in_dtype(1) == dtype else f"ops.cast({n.x(1)}, {n.dtype(dtype)})"
    return f"ops.pow({n.x(0)}, {exponent})"


def _variadic(op_type: str, fold: str, doc: str, mean: bool = False):
    @op(op_type, dtypes=_NUMERIC)
    def emit(n):
        check_variadic(n)
        xs = n.xs()
        expr = xs[0]
        for other in xs[1:]:
            expr = fold.format(a=expr, b=other)
        return f"({expr}) / {len(xs)}" if mean else expr

    emit.__name__ = op_type.lower()
    emit.__doc__ = doc
    return emit


max_ = _variadic("Max", "ops.maximum({a}, {b})", "ops.maximum folded over the inputs")
min_ = _variadic("Min", "ops.minimum({a}, {b})", "ops.minimum folded over the inputs")
sum_ = _variadic("Sum", "{a} + {b}", "sum of the inputs")
mean_ = _variadic("Mean", "{a} + {b}", "sum of the inputs / count", mean=True)


def _unary(op_type: str, call: str, dtypes=_FLOAT):
    @op(op_type, dtypes=dtypes)
    def emit(n):
        if n.since < 6:
            n.ignore_attr("consumed_inputs", "a legacy memory hint with no numeric effect")
        return f"{call}({n.x(0)})"

    emit.__name__ = op_type.lower()
    emit.__doc__ = call
    return emit


for _op, _call in {
    "Sqrt": "ops.sqrt",
    "Exp": "ops.exp",
    "Log": "ops.log",
    "Sin": "ops.sin",
    "Cos": "ops.cos",
    "Tan": "ops.tan",
    "Asin": "ops.asin",
    "Acos": "ops.acos",
    "Atan": "ops.atan",
    "Sinh": "ops.sinh",
    "Cosh": "ops.cosh",
    "Asinh": "ops.asinh",
    "Acosh": "ops.acosh",
    "Atanh": "ops.atanh",
    "Tanh": "ops.tanh",
    "Floor": "ops.floor",
    "Ceil": "ops.ceil",
    "Reciprocal": "ops.reciprocal",
    "Erf": "ops.erf",
}.items():
    _unary(_op, _call)

_unary("Abs", "ops.abs", {"float16", "float32", "float64", "int8", "int16", "int32", "int64"})
_unary("Neg", "ops.neg", {"float16", "float32", "float64", "int8", "int16", "int32", "int64"})
_unary("Sign", "ops.sign", {"float16", "float32", "float64", "int32", "int64"})


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
    positive = int(n.attr("detect_positive", 1))
    negative = int(n.attr("detect_negative", 1))
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
    if n.since < 11:
        if n.since < 6:
            n.ignore_attr("consumed_inputs", "a legacy memory hint with no numeric effect")
        lo, hi = n.attr("min", None), n.attr("max", None)
        lo = None if lo is None else f"mindspore.Tensor({float(lo)!r}, dtype={x}.dtype)"
        hi = None if hi is None else f"mindspore.Tensor({float(hi)!r}, dtype={x}.dtype)"
    else:
        lo = wide(n.x(1)) if n.has_input(1) else None
        hi = wide(n.x(2)) if n.has_input(2) else None
    if lo is not None:
        x = f"ops.maximum({x}, {lo})"
    if hi is not None:
        x = f"ops.minimum({x}, {hi})"
    return f"{x}.astype({n.dtype(n.in_dtype(0))})" if small else x
