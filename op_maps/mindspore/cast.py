"""Cast and CastLike for MindSpore."""

from porter.dtypes import FLOATS, onnx_dtype_name
from porter.op_maps.mindspore._registry import op

_LOW_PRECISION = ("float8", "float4", "int4", "uint4", "int2", "uint2")


def _cast(n, x: str, src: str | None, dst: str) -> str:
    if src == dst:
        return x
    if src in FLOATS and dst in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"):
        return f"ops.cast(ops.trunc({x}), {n.dtype(dst)})"  # ONNX float -> int truncates toward zero
    return f"ops.cast({x}, {n.dtype(dst)})"


def _low_precision_attrs(n, dst: str) -> None:
    if n.since >= 19 and not n.attr("saturate", 1) and dst.startswith(_LOW_PRECISION):
        n.refuse("saturate=0 casts to float8 are not supported")
    if n.since >= 24 and n.has_attr("round_mode"):
        mode = n.attr("round_mode")
        if dst.startswith(_LOW_PRECISION) and mode != "up":
            n.refuse(f"round_mode={mode!r} casts to low-precision types are not supported")


@op("Cast")
def cast(n):
    """ops.cast (float -> int truncates toward zero)"""
    to = n.attr("to")
    dst = to.lower() if isinstance(to, str) else onnx_dtype_name(to)
    dst = {"float": "float32", "double": "float64"}.get(dst, dst)
    _low_precision_attrs(n, dst)
    return _cast(n, n.x(0), n.in_dtype(0), dst)


@op("CastLike")
def cast_like(n):
    """ops.cast to the dtype of the second input"""
    dst = n.in_dtype(1)
    if dst is None:
        n.refuse("the target dtype (input 1) must be known")
    _low_precision_attrs(n, dst)
    return _cast(n, n.x(0), n.in_dtype(0), dst)
