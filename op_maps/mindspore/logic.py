"""Comparisons, boolean logic, Where and bitwise ops for MindSpore."""

from porter.op_maps.mindspore._registry import REGISTRY, op
from porter.op_maps.mindspore.elementwise import widened
from porter.rows import direct
from porter.semantics import legacy_broadcast
from porter.semantics.elementwise import pair_with_literal
from porter.semantics.logic import BIT_WIDTH, BITWISE, BOOLEAN, bit_shift_args

_COMPARABLE = {"float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"}
_INTS = {"int8", "int16", "int32", "int64", "uint8"}


def _compared_in_float32(n, inputs: list[str], dtype: str | None, make) -> str:
    """bfloat16 compared in float32 (exact; the CPU comparison kernels lack bfloat16); a bool result."""
    if dtype != "bfloat16":
        return make(*inputs)
    return make(*[f"ops.cast({x}, mindspore.float32)" for x in inputs])


for _op, _call in {
    "Equal": "ops.equal",
    "Greater": "ops.greater",
    "Less": "ops.less",
    "GreaterOrEqual": "ops.greater_equal",
    "LessOrEqual": "ops.less_equal",
}.items():
    direct(
        REGISTRY,
        _op,
        _call,
        n_inputs=2,
        dtypes=_COMPARABLE | {"bfloat16"},
        check=legacy_broadcast,
        wrap=_compared_in_float32,
    )


for _op, _name in BOOLEAN.items():
    direct(REGISTRY, _op, f"ops.{_name}", n_inputs=2, dtypes={"bool"}, check=legacy_broadcast)


@op("Not", dtypes={"bool"})
def not_(n):
    """ops.logical_not"""
    return f"ops.logical_not({n.x(0)})"


@op("Where", dtypes={"bool"})  # dtypes checks the condition; x and y any dtype (bfloat16 widened)
def where(n):
    """ops.where with numpy broadcasting; bfloat16 through float32 (exact: the CPU Select kernel lacks it)"""
    cond = n.x(0)
    return widened(n, pair_with_literal(n, 1, 2), n.in_dtype(1), lambda x, y: f"ops.where({cond}, {x}, {y})")


for _op, _name in BITWISE.items():
    direct(REGISTRY, _op, f"ops.{_name}", n_inputs=2, dtypes=_INTS)


_BIT_SHIFT = """
def _bit_shift(a, b, left, bits, signed):
    # ONNX BitShift: counts < 0 or >= the width give 0 (or -1 for a negative value shifted right); a left
    # shift wraps in the operand's width, a right shift of a signed value is arithmetic (floor division).
    dtype = a.dtype
    wide_a, wide_b = a.astype(mindspore.int64), b.astype(mindspore.int64)
    out_of_range = ops.logical_or(wide_b < 0, wide_b >= bits)
    safe = ops.where(out_of_range, ops.zeros_like(wide_b), wide_b)
    power = ops.pow(ops.full_like(safe, 2), safe)
    if left:
        shifted = wide_a * power
        fill = ops.zeros_like(wide_a)
    else:
        shifted = ops.floor_divide(wide_a, power)
        fill = ops.where(wide_a < 0, ops.full_like(wide_a, -1), ops.zeros_like(wide_a))
    result = ops.where(out_of_range, fill, shifted)
    if bits < 64:
        result = ops.bitwise_and(result, ops.full_like(result, (1 << bits) - 1))
        if signed:
            result = ops.where(result >= (1 << (bits - 1)), result - (1 << bits), result)
    return result.astype(dtype)
"""


@op("BitShift", dtypes=set(BIT_WIDTH) - {"int64"})
def bit_shift(n):
    """shifts with ONNX's rules for out-of-range counts, computed in int64 and cast back"""
    left, width = bit_shift_args(n)
    helper = n.helper("_bit_shift", _BIT_SHIFT)
    return f"{helper}({n.x(0)}, {n.x(1)}, {left}, {width}, {n.in_dtype(0) != 'uint8'})"


@op("BitwiseNot", dtypes=_INTS)
def bitwise_not(n):
    """ops.invert"""
    return f"ops.invert({n.x(0)})"
