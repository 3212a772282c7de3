"""The target-neutral reading of the shape ops (op_maps/<target>/shape.py): attribute defaults, version rules,
refusals and the convert-time arithmetic on axes and sizes. A target's table spells the result."""

from __future__ import annotations

from porter.dtypes import onnx_dtype_name


def flatten_axis(n) -> tuple[int, int]:
    """Flatten's (axis made non-negative, input rank); the rank must be known."""
    axis = int(n.attr("axis", 1))
    rank = n.in_rank(0)
    if rank is None:
        n.refuse("input rank must be known")
    return (axis + rank if axis < 0 else axis), rank


def transpose_perm(n) -> list[int]:
    """Transpose's permutation; without `perm`, the axes reversed (the rank must be known)."""
    perm = n.attr("perm", None)
    if perm is None:
        rank = n.in_rank(0)
        if rank is None:
            n.refuse("input rank must be known when perm is omitted")
        perm = reversed(range(rank))
    return [int(p) for p in perm]


def concat_axis(n) -> int:
    """Concat's axis: 1 by default before opset 4, required from then on."""
    axis = n.attr("axis", 1 if n.since < 4 else None)
    if axis is None:
        n.refuse("attribute 'axis' is required")
    return int(axis)


def split_count(n) -> int:
    """How many parts a Split without sizes makes: num_outputs (opset 18) or the node's output count."""
    return (n.attr("num_outputs", None) if n.since >= 18 else None) or n.num_outputs


def even_split(dim: int, count: int) -> list[int]:
    """ONNX's sizes for `count` parts of `dim`: ceil(dim / count) each, the last smaller (opset 18's rule for
    an uneven split)."""
    chunk = -(-dim // count)
    return [chunk] * (dim // chunk) + ([dim % chunk] if dim % chunk else [])


def unsqueeze_positions(axes, rank: int) -> list[int]:
    """Unsqueeze's axes (counted in the output's rank) made non-negative, in the increasing order they are
    inserted in."""
    out_rank = rank + len(axes)
    return sorted(int(a) + out_rank if a < 0 else int(a) for a in axes)


def shape_subscript(n) -> str:
    """The Python subscript that Shape's start / end (opset 15) cut the shape with, "" for the whole shape."""
    start = n.attr("start", 0) if n.since >= 15 else 0
    end = n.attr("end", None) if n.since >= 15 else None
    return f"[{start}:{'' if end is None else end}]" if (start or end is not None) else ""


def allows_zero(n) -> bool:
    """Reshape's allowzero (opset 14): a 0 in the target shape is a zero-length dim, not a copy of the input's."""
    return bool(n.attr("allowzero", 0)) if n.since >= 14 else False


def pad_mode(n) -> str:
    """Pad's mode, one of ONNX's: constant, reflect, edge, wrap."""
    mode = n.attr("mode", "constant")
    if mode not in ("constant", "reflect", "edge", "wrap"):
        n.refuse(f"mode={mode!r} is not an ONNX pad mode")
    return mode


def depth_to_space_plan(n) -> tuple[int, str, tuple[int, ...]]:
    """DepthToSpace's (blocksize, mode, transpose of the split input): DCR (the only mode before opset 11)
    splits channels as (b, b, C/b²), CRD as (C/b², b, b); see depth_to_space_split."""
    b = int(n.attr("blocksize"))
    mode = n.attr("mode", "DCR") if n.since >= 11 else "DCR"
    if mode not in ("DCR", "CRD"):
        n.refuse(f"mode={mode!r} is not an ONNX DepthToSpace mode")
    return b, mode, ((0, 3, 4, 1, 5, 2) if mode == "DCR" else (0, 1, 4, 2, 5, 3))


def depth_to_space_split(mode: str, b: int, batch, channels, height, width) -> list:
    """The 6-D shape DepthToSpace reshapes its input to, from the input's dims: ints, or source text for dims
    known only at run time (then the channel quotient is written out)."""
    depth = channels // (b * b) if isinstance(channels, int) else f"{channels} // {b * b}"
    if mode == "DCR":
        return [batch, b, b, depth, height, width]
    return [batch, depth, b, b, height, width]


def eye_like_args(n) -> tuple[int, str]:
    """EyeLike's (diagonal k, output dtype: the attribute's, or the input's)."""
    k = int(n.attr("k", 0))
    code = n.attr("dtype", None)
    dtype = onnx_dtype_name(code) if code is not None else n.in_dtype(0)
    if dtype is None:
        n.refuse("output dtype must be known")
    return k, dtype


def constant_fill(n):
    """ConstantOfShape's (fill value as a Python scalar, its dtype): one float32 zero by default."""
    value = n.attr("value", None)
    if value is None:
        return 0.0, "float32"
    return value.reshape(-1)[0].item(), value.dtype.name
