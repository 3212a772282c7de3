"""Shape manipulation for MindSpore: Reshape, Flatten, Transpose, Concat, Unsqueeze, Squeeze,
ConstantOfShape. Shapes must be convert-time constants (GRAPH_MODE compiles them into the graph)."""

import numpy as np

from porter.op_maps.mindspore._registry import op


def _const_ints(n, i: int, what: str) -> list[int]:
    values = n.const_list(i)
    if values is None:
        n.refuse(f"{what} must be a constant for MindSpore (GRAPH_MODE compiles it)")
    return [int(v) for v in values]


@op("Reshape", versions=[5, 13, 14, 19, 21, 23, 24, 25])
def reshape(n):
    """ops.reshape with ONNX's 0 = copy-this-dim resolved against the input shape"""
    if n.since >= 14 and n.attr("allowzero", 0):
        n.refuse("allowzero=1 is not mapped for MindSpore yet")
    shape = _const_ints(n, 1, "the target shape")
    if 0 in shape:
        in_shape = n.in_shape(0)
        if in_shape is None or any(not isinstance(in_shape[i], int) for i, d in enumerate(shape) if d == 0):
            n.refuse("a 0 (copy) entry needs the matching input dim to be static")
        shape = [in_shape[i] if d == 0 else d for i, d in enumerate(shape)]
    return f"ops.reshape({n.x(0)}, {tuple(shape)!r})"


@op("Flatten")
def flatten(n):
    """ops.reshape to 2-D at axis"""
    axis = int(n.attr("axis", 1))
    rank = n.in_rank(0)
    if rank is None:
        n.refuse("input rank must be known")
    axis = axis + rank if axis < 0 else axis
    if axis == 1:
        return f"ops.flatten({n.x(0)}, start_dim=1)"
    if axis == 0:
        return f"ops.reshape({n.x(0)}, (1, -1))"
    shape = n.in_shape(0)
    if any(not isinstance(d, int) for d in shape[:axis]):
        n.refuse("leading dims must be static")
    return f"ops.reshape({n.x(0)}, ({int(np.prod(shape[:axis]))}, -1))"


@op("Transpose")
def transpose(n):
    """ops.transpose"""
    perm = n.attr("perm", None)
    if perm is None:
        rank = n.in_rank(0)
        if rank is None:
            n.refuse("input rank must be known when perm is omitted")
        perm = list(reversed(range(rank)))
    return f"ops.transpose({n.x(0)}, {tuple(int(p) for p in perm)!r})"


@op("Concat")
def concat(n):
    """ops.concat"""
    axis = n.attr("axis", 1 if n.since < 4 else None)
    if axis is None:
        n.refuse("attribute 'axis' is required")
    return f"ops.concat(({', '.join(n.xs())},), axis={int(axis)})"


@op("Unsqueeze")
def unsqueeze(n):
    """ops.expand_dims, one axis at a time in increasing order"""
    axes = n.attr("axes") if n.since < 13 else _const_ints(n, 1, "axes")
    rank = n.in_rank(0)
    if rank is None:
        n.refuse("input rank must be known")
    expr = n.x(0)
    for axis in sorted(a + rank + len(axes) if a < 0 else a for a in axes):
        expr = f"ops.expand_dims({expr}, {axis})"
    return expr


@op("Squeeze")
def squeeze(n):
    """ops.squeeze"""
    from_input = n.since >= 13 and n.has_input(1)
    axes = _const_ints(n, 1, "axes") if from_input else (n.attr("axes", None) if n.since < 13 else None)
    if axes is None:
        return f"ops.squeeze({n.x(0)})"
    return f"ops.squeeze({n.x(0)}, axis={tuple(int(a) for a in axes)!r})"


@op("ConstantOfShape")
def constant_of_shape(n):
    """ops.full(shape, value, dtype)"""
    value = n.attr("value", None)
    if value is None:
        value = np.zeros(1, np.float32)
    shape = _const_ints(n, 0, "the shape")
    return f"ops.full({tuple(shape)!r}, {n.lit(value.reshape(-1)[0].item())}, dtype={n.dtype(value.dtype.name)})"
