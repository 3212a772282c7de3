"""Cast and CastLike for MindSpore."""

from porter.dtypes import FLOATS
from porter.op_maps.mindspore._registry import op
from porter.semantics import cast_destination


def _cast(n, x: str, src: str | None, dst: str) -> str:
    if src == dst:
        return x
    if src in FLOATS and dst in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"):
        return f"ops.cast(ops.trunc({x}), {n.dtype(dst)})"  # ONNX float -> int truncates toward zero
    return f"ops.cast({x}, {n.dtype(dst)})"


@op("Cast")
def cast(n):
    """ops.cast (float -> int truncates toward zero)"""
    return _cast(n, n.x(0), n.in_dtype(0), cast_destination(n))


@op("CastLike")
def cast_like(n):
    """ops.cast to the dtype of the second input"""
    return _cast(n, n.x(0), n.in_dtype(0), cast_destination(n))
