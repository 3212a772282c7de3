"""Cast and CastLike. BitCast is refused (Paddle has no bit reinterpretation that covers its dtypes)."""

from porter.dtypes import FLOATS
from porter.op_maps.paddle._registry import op
from porter.semantics import cast_destination


def _cast(n, x: str, src: str | None, dst: str) -> str:
    if src == dst:
        return x
    if src in FLOATS and dst in ("int8", "int16", "int32", "int64", "uint8"):
        # ONNX float -> int casts truncate toward zero; say so explicitly rather than rely on the kernel.
        return f"paddle.cast(paddle.trunc({x}), {n.dtype(dst)})"
    return f"paddle.cast({x}, {n.dtype(dst)})"


@op("Cast")
def cast(n):
    """paddle.cast (float -> int truncates toward zero)"""
    return _cast(n, n.x(0), n.in_dtype(0), cast_destination(n))


@op("CastLike")
def cast_like(n):
    """paddle.cast to the dtype of the second input"""
    return _cast(n, n.x(0), n.in_dtype(0), cast_destination(n))
