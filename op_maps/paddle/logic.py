"""Comparisons, boolean logic, Where and bitwise ops."""

from porter.op_maps.paddle._registry import op
from porter.op_maps.paddle.elementwise import _check_legacy_broadcast, widened

_COMPARABLE = {"float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"}
_INTS = {"int8", "int16", "int32", "int64", "uint8"}


def _compare(op_type: str, symbol: str):
    @op(op_type, dtypes=_COMPARABLE)
    def emit(n):
        _check_legacy_broadcast(n)
        a, b = n.x(0), n.x(1)
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


def _logical(op_type: str, call: str):
    @op(op_type, dtypes={"bool"})
    def emit(n):
        _check_legacy_broadcast(n)
        return f"{call}({n.x(0)}, {n.x(1)})"

    emit.__name__ = op_type.lower()
    emit.__doc__ = call
    return emit


and_ = _logical("And", "paddle.logical_and")
or_ = _logical("Or", "paddle.logical_or")
xor = _logical("Xor", "paddle.logical_xor")


@op("Not", dtypes={"bool"})
def not_(n):
    """paddle.logical_not"""
    return f"paddle.logical_not({n.x(0)})"


@op("Where")
def where(n):
    """paddle.where with numpy broadcasting"""
    dtype = n.in_dtype(1)
    cond = n.x(0)
    return widened(n, [n.x(1), n.x(2)], dtype, lambda x, y: f"paddle.where({cond}, {x}, {y})")


def _bitwise(op_type: str, call: str):
    @op(op_type, dtypes=_INTS | {"bool"})
    def emit(n):
        return widened(n, [n.x(0), n.x(1)], n.in_dtype(0), lambda a, b: f"{call}({a}, {b})")

    emit.__name__ = op_type.lower()
    emit.__doc__ = call
    return emit


bitwise_and = _bitwise("BitwiseAnd", "paddle.bitwise_and")
bitwise_or = _bitwise("BitwiseOr", "paddle.bitwise_or")
bitwise_xor = _bitwise("BitwiseXor", "paddle.bitwise_xor")


@op("BitwiseNot", dtypes=_INTS | {"bool"})
def bitwise_not(n):
    """paddle.bitwise_not"""
    if n.in_dtype(0) == "uint8":
        return f"paddle.cast(255 - paddle.cast({n.x(0)}, 'int32'), 'uint8')"
    return widened(n, [n.x(0)], n.in_dtype(0), lambda a: f"paddle.bitwise_not({a})")


@op("BitShift", dtypes={"uint8"})
def bit_shift(n):
    """uint8 shifts computed in int32 (a left shift wraps modulo 256 when cast back)"""
    direction = n.attr("direction")
    a, b = f"paddle.cast({n.x(0)}, 'int32')", f"paddle.cast({n.x(1)}, 'int32')"
    if direction == "LEFT":
        return f"paddle.cast(paddle.bitwise_and({a} * paddle.pow(paddle.full_like({b}, 2), {b}), paddle.full_like({a}, 255)), 'uint8')"
    if direction == "RIGHT":
        return f"paddle.cast(paddle.floor_divide({a}, paddle.pow(paddle.full_like({b}, 2), {b})), 'uint8')"
    n.refuse(f"direction={direction!r} is not an ONNX value")
