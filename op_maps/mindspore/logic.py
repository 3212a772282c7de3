"""Comparisons, boolean logic, Where and bitwise ops for MindSpore."""

from porter.op_maps.mindspore._registry import op
from porter.op_maps.mindspore.elementwise import _legacy

_COMPARABLE = {"float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"}
_INTS = {"int8", "int16", "int32", "int64", "uint8"}


def _compare(op_type: str, call: str):
    @op(op_type, dtypes=_COMPARABLE)
    def emit(n):
        _legacy(n)
        return f"{call}({n.x(0)}, {n.x(1)})"

    emit.__name__ = op_type.lower()
    emit.__doc__ = call
    return emit


equal = _compare("Equal", "ops.equal")
greater = _compare("Greater", "ops.greater")
less = _compare("Less", "ops.less")
greater_or_equal = _compare("GreaterOrEqual", "ops.greater_equal")
less_or_equal = _compare("LessOrEqual", "ops.less_equal")


def _logical(op_type: str, call: str):
    @op(op_type, dtypes={"bool"})
    def emit(n):
        _legacy(n)
        return f"{call}({n.x(0)}, {n.x(1)})"

    emit.__name__ = op_type.lower()
    emit.__doc__ = call
    return emit


and_ = _logical("And", "ops.logical_and")
or_ = _logical("Or", "ops.logical_or")
xor = _logical("Xor", "ops.logical_xor")


@op("Not", dtypes={"bool"})
def not_(n):
    """ops.logical_not"""
    return f"ops.logical_not({n.x(0)})"


@op("Where", dtypes={"bool"})  # dtypes checks the condition; x and y may be any dtype
def where(n):
    """ops.where with numpy broadcasting"""
    return f"ops.where({n.x(0)}, {n.x(1)}, {n.x(2)})"


def _bitwise(op_type: str, call: str):
    @op(op_type, dtypes=_INTS)
    def emit(n):
        return f"{call}({n.x(0)}, {n.x(1)})"

    emit.__name__ = op_type.lower()
    emit.__doc__ = call
    return emit


bitwise_and = _bitwise("BitwiseAnd", "ops.bitwise_and")
bitwise_or = _bitwise("BitwiseOr", "ops.bitwise_or")
bitwise_xor = _bitwise("BitwiseXor", "ops.bitwise_xor")
