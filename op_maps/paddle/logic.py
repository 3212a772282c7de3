"""Comparisons, boolean logic, Where and bitwise ops."""

from porter.op_maps.paddle._registry import REGISTRY, op
from porter.op_maps.paddle.elementwise import widened
from porter.rows import direct
from porter.semantics import legacy_broadcast
from porter.semantics.elementwise import operands, pair_with_literal
from porter.semantics.logic import BIT_WIDTH, BITWISE, BOOLEAN, bit_shift_args

_COMPARABLE = {"float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"}
_INTS = {"int8", "int16", "int32", "int64", "uint8"}


def _compare(op_type: str, symbol: str):
    @op(op_type, dtypes=_COMPARABLE)
    def emit(n):
        legacy_broadcast(n)
        a, b = operands(n)
        if n.in_dtype(0) in ("float16", "bfloat16"):
            a, b = f"paddle.cast({a}, 'float32')", f"paddle.cast({b}, 'float32')"
        return f"{a} {symbol} {b}"

    emit.__name__ = op_type.lower()
    emit.__doc__ = f"a {symbol} b"
    return emit


equal = _compare("Equal", "==")
greater = _compare("Greater", ">")
less = _compare("Less", "<")
greater_or_equal = _compare("GreaterOrEqual", ">=")
less_or_equal = _compare("LessOrEqual", "<=")


for _op, _name in BOOLEAN.items():
    direct(REGISTRY, _op, f"paddle.{_name}", n_inputs=2, dtypes={"bool"}, check=legacy_broadcast)


@op("Not", dtypes={"bool"})
def not_(n):
    """paddle.logical_not"""
    return f"paddle.logical_not({n.x(0)})"


@op("Where")
def where(n):
    """paddle.where with numpy broadcasting"""
    dtype = n.in_dtype(1)
    cond = n.x(0)
    return widened(n, pair_with_literal(n, 1, 2), dtype, lambda x, y: f"paddle.where({cond}, {x}, {y})")


# small integer types through int32 (Paddle's CPU kernels lack them)
for _op, _name in BITWISE.items():
    direct(REGISTRY, _op, f"paddle.{_name}", n_inputs=2, dtypes=_INTS | {"bool"}, wrap=widened)


@op("BitwiseNot", dtypes=_INTS | {"bool"})
def bitwise_not(n):
    """paddle.bitwise_not"""
    if n.in_dtype(0) == "uint8":
        return f"paddle.cast(255 - paddle.cast({n.x(0)}, 'int32'), 'uint8')"
    return widened(n, [n.x(0)], n.in_dtype(0), lambda a: f"paddle.bitwise_not({a})")


@op("BitShift", dtypes=set(BIT_WIDTH))
def bit_shift(n):
    """shifts with ONNX's rules for shift counts outside [0, width) (computed in int64, cast back)"""
    left, width = bit_shift_args(n)
    helper = n.helper("_bit_shift", _BIT_SHIFT)
    return f"{helper}({n.x(0)}, {n.x(1)}, {left}, {width})"


_BIT_SHIFT = """
def _bit_shift(a, b, left, bits):
    # ONNX BitShift: counts < 0 or >= the bit width give 0 (or -1 for a negative value shifted right);
    # in range, a left shift wraps in the operand's width and a right shift of a signed value is arithmetic.
    dtype = a.dtype
    wide_a, wide_b = a.astype('int64'), b.astype('int64')
    out_of_range = (wide_b < 0) | (wide_b >= bits)
    safe = paddle.where(out_of_range, paddle.zeros_like(wide_b), wide_b)
    if left:
        shifted = paddle.bitwise_left_shift(wide_a, safe)
        fill = paddle.zeros_like(wide_a)
    else:
        shifted = paddle.bitwise_right_shift(wide_a, safe, is_arithmetic=True)
        fill = paddle.where(wide_a < 0, paddle.full_like(wide_a, -1), paddle.zeros_like(wide_a))
    result = paddle.where(out_of_range, fill, shifted)
    if bits < 64:
        # keep the low `bits` bits, then reinterpret as the operand's (signed or unsigned) type
        result = paddle.bitwise_and(result, paddle.full_like(result, (1 << bits) - 1))
        if dtype != paddle.uint8:
            result = paddle.where(result >= (1 << (bits - 1)), result - (1 << bits), result)
    return result.astype(dtype)
"""
