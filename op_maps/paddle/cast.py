"""Cast and CastLike. BitCast is refused (Paddle has no bit reinterpretation that covers its dtypes)."""

from porter.dtypes import FLOATS, onnx_dtype_name
from porter.op_maps.paddle._registry import op

_LOW_PRECISION = ("float8", "float4", "int4", "uint4", "int2", "uint2")


def _cast(n, x: str, src: str | None, dst: str) -> str:
    if src == dst:
        return x
    if src in FLOATS and dst in ("int8", "int16", "int32", "int64", "uint8"):
        # ONNX float -> int casts truncate toward zero; say so explicitly rather than rely on the kernel.
        return f"paddle.cast(paddle.trunc({x}), {n.dtype(dst)})"
    return f"paddle.cast({x}, {n.dtype(dst)})"


def _ignore_low_precision_attrs(n, dst: str) -> None:
    if n.since >= 19:
        saturate = n.attr("saturate", 1)
        if dst.startswith(_LOW_PRECISION) and not saturate:
            n.refuse("saturate=0 casts to float8 are not supported")
    if n.since >= 24 and n.has_attr("round_mode"):
        mode = n.attr("round_mode")
        if dst.startswith(_LOW_PRECISION) and mode != "up":
            n.refuse(f"round_mode={mode!r} casts to low-precision types are not supported")


@op("Cast")
def cast(n):
    """paddle.cast (float -> int truncates toward zero)"""
    to = n.attr("to")
    dst = to.lower() if isinstance(to, str) else onnx_dtype_name(to)
    dst = {"float": "float32", "double": "float64", "float16": "float16"}.get(dst, dst)
    _ignore_low_precision_attrs(n, dst)
    return _cast(n, n.x(0), n.in_dtype(0), dst)


@op("CastLike")
def cast_like(n):
    """paddle.cast to the dtype of the second input"""
    dst = n.in_dtype(1)
    if dst is None:
        n.refuse("the target dtype (input 1) must be known")
    _ignore_low_precision_attrs(n, dst)
    return _cast(n, n.x(0), n.in_dtype(0), dst)
