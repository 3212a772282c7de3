"""The target-neutral reading of Cast and CastLike (op_maps/<target>/cast.py): the destination dtype, the
low-precision attributes, and ONNX's truncation of floats cast to integers."""

from __future__ import annotations

from porter.dtypes import FLOATS
from porter.semantics import register_emitter

_INTEGERS = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")


_LOW_PRECISION = ("float8", "float4", "int4", "uint4", "int2", "uint2")


def cast_destination(n) -> str:
    """The canonical dtype a Cast/CastLike node produces; low-precision-only attributes are checked."""
    from porter.dtypes import onnx_dtype_name

    if n.op_type == "CastLike":
        dst = n.in_dtype(1)
        if dst is None:
            n.refuse("the target dtype (input 1) must be known")
    else:
        to = n.attr("to")
        dst = to.lower() if isinstance(to, str) else onnx_dtype_name(to)
        dst = {"float": "float32", "double": "float64"}.get(dst, dst)
    if n.since >= 19 and not n.attr("saturate", 1) and dst.startswith(_LOW_PRECISION):
        n.refuse("saturate=0 casts to float8 are not supported")
    if n.since >= 24 and n.has_attr("round_mode"):
        mode = n.attr("round_mode")
        if dst.startswith(_LOW_PRECISION) and mode != "up":
            n.refuse(f"round_mode={mode!r} casts to low-precision types are not supported")
    return dst


def register_casts(op, module: str, cast: str, trunc: str) -> None:
    """Cast and CastLike for a target whose `cast(x, dtype)` converts and `trunc(x)` rounds toward zero: a float
    cast to an integer type truncates explicitly (ONNX's rule), not by whatever the kernel does."""

    def emit(n):
        src, dst = n.in_dtype(0), cast_destination(n)
        x = n.x(0)
        if src == dst:
            return x
        if src in FLOATS and dst in _INTEGERS:
            x = f"{trunc}({x})"
        return f"{cast}({x}, {n.dtype(dst)})"

    register_emitter(op, "Cast", emit, module=module, doc=f"{cast} (float -> int truncates toward zero)")
    register_emitter(
        op,
        "CastLike",
        lambda n: emit(n),
        name="cast_like",
        module=module,
        doc=f"{cast} to the dtype of the second input",
    )
