"""Shape manipulation for MindSpore: Reshape, Flatten, Transpose, Concat, Unsqueeze, Squeeze,
ConstantOfShape, EyeLike, CenterCropPad, ... Shapes must be convert-time constants (GRAPH_MODE compiles them into the graph)."""

import numpy as np

from porter.op_maps.mindspore._registry import op
from porter.op_maps.mindspore._runtime_values import int_value, int_values
from porter.op_maps.mindspore.elementwise import widened
from porter.semantics import embedding_lookup, space_to_depth_order
from porter.semantics.index import scalar_index
from porter.semantics.shape import (
    allows_zero,
    concat_axis,
    constant_fill,
    depth_to_space_plan,
    depth_to_space_split,
    even_split,
    eye_like_args,
    flatten_axis,
    pad_mode,
    shape_subscript,
    split_count,
    transpose_perm,
    unsqueeze_positions,
)
from porter.symdims import expand_shape, slice_subscript, tuple_source


def _const_ints(n, i: int, what: str) -> list[int]:
    values = n.const_list(i)
    if values is None:
        n.refuse(f"{what} must be a constant for MindSpore (GRAPH_MODE compiles it)")
    return [int(v) for v in values]


_ONNX_RESHAPE = """
def _onnx_reshape(x, shape):
    # ONNX Reshape: a 0 copies the input's dim at that position
    return ops.reshape(x, tuple(x.shape[i] if d == 0 else d for i, d in enumerate(shape)))
"""


_RESHAPE_ALLOWZERO = """
def _reshape_allowzero(x, shape):
    # ONNX allowzero=1: a 0 in the target shape is a real zero-length dim, not "copy this dim"
    if 0 in shape:
        return ops.zeros(shape, x.dtype)
    return ops.reshape(x, shape)
"""


@op("Reshape", versions=[5, 13, 14, 19, 21, 23, 24, 25])
def reshape(n):
    """ops.reshape with ONNX's 0 = copy-this-dim resolved against the input shape"""
    allowzero = allows_zero(n)
    sym = n.sym(1) if n.const(1) is None else None
    if sym is not None and not (allowzero and any(d.value == 0 for d in sym.dims)):
        # shape arithmetic on symbolic dims: a 0 literal copies the input's dim (allowzero=0); the
        # symbolic elements are sizes of existing tensors
        dims = [f"{n.x(0)}.shape[{i}]" if d.value == 0 else d.expr for i, d in enumerate(sym.dims)]
        return f"ops.reshape({n.x(0)}, {tuple_source(dims)})"
    if allowzero:
        shape = n.const_list(1)
        if shape is None:  # e.g. torch.onnx's views of symbolic sizes: the shape is computed at run time
            helper = n.helper("_reshape_allowzero", _RESHAPE_ALLOWZERO)
            return f"{helper}({n.x(0)}, {int_values(n, 1, 'the target shape')})"
        shape = tuple(int(v) for v in shape)
        if 0 in shape:  # a real zero-length dim: the result is empty
            return f"ops.zeros({shape!r}, {n.x(0)}.dtype)"
        return f"ops.reshape({n.x(0)}, {shape!r})"
    if n.const(1) is None:
        helper = n.helper("_onnx_reshape", _ONNX_RESHAPE)
        return f"{helper}({n.x(0)}, {int_values(n, 1, 'the target shape')})"
    shape = _const_ints(n, 1, "the target shape")
    if 0 in shape:
        in_shape = n.in_shape(0)
        if in_shape is None:
            n.refuse("a 0 (copy) entry needs the input's rank to be known")
        if any(i >= len(in_shape) for i, d in enumerate(shape) if d == 0):
            n.refuse(f"a 0 (copy) entry past the input's rank {len(in_shape)}")
        # a static dim is copied as a literal; a symbolic one (a dynamic batch or time axis) is read from the
        # input's shape, which GRAPH_MODE resolves at compile time like any other shape arithmetic
        dims = [
            (str(in_shape[i]) if isinstance(in_shape[i], int) else f"{n.x(0)}.shape[{i}]") if d == 0 else str(d)
            for i, d in enumerate(shape)
        ]
        return f"ops.reshape({n.x(0)}, {tuple_source(dims)})"
    return f"ops.reshape({n.x(0)}, {tuple(shape)!r})"


@op("Flatten")
def flatten(n):
    """ops.reshape to 2-D at axis"""
    axis, _ = flatten_axis(n)
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
    return f"ops.transpose({n.x(0)}, {tuple(transpose_perm(n))!r})"


@op("Concat")
def concat(n):
    """ops.concat"""
    return f"ops.concat(({', '.join(n.xs())},), axis={concat_axis(n)})"


_UNSQUEEZE = """
def _unsqueeze(x, axes):
    rank = x.ndim + len(axes)
    positions = []
    for a in axes:  # a plain loop: GRAPH_MODE does not compile comprehensions over closure names
        positions.append(a % rank)
    for axis in sorted(positions):
        x = ops.expand_dims(x, axis)
    return x
"""


@op("Unsqueeze")
def unsqueeze(n):
    """ops.expand_dims, one axis at a time in increasing order"""
    if (n.since >= 13 and n.const(1) is None) or n.in_rank(0) is None:
        helper = n.helper("_unsqueeze", _UNSQUEEZE)
        if n.since < 13:
            return f"{helper}({n.x(0)}, {tuple(int(a) for a in n.attr('axes'))!r})"
        return f"{helper}({n.x(0)}, {int_values(n, 1, 'axes')})"
    axes = n.attr("axes") if n.since < 13 else _const_ints(n, 1, "axes")
    rank = n.in_rank(0)
    if rank is None:
        n.refuse("input rank must be known")
    expr = n.x(0)
    for axis in unsqueeze_positions(axes, rank):
        expr = f"ops.expand_dims({expr}, {axis})"
    return expr


@op("Squeeze")
def squeeze(n):
    """ops.squeeze"""
    from_input = n.since >= 13 and n.has_input(1)
    if from_input and n.const(1) is None:
        return f"ops.squeeze({n.x(0)}, axis={int_values(n, 1, 'axes')})"
    axes = _const_ints(n, 1, "axes") if from_input else (n.attr("axes", None) if n.since < 13 else None)
    if axes is None:
        return f"ops.squeeze({n.x(0)})"
    return f"ops.squeeze({n.x(0)}, axis={tuple(int(a) for a in axes)!r})"


@op("ConstantOfShape")
def constant_of_shape(n):
    """ops.full(shape, value, dtype)"""
    fill, dtype = constant_fill(n)
    shape = int_values(n, 0, "the shape")
    return f"ops.full({shape}, {n.lit(fill)}, dtype={n.dtype(dtype)})"


@op("Shape")
def shape(n):
    """the (static at compile time) shape as an int64 tensor, sliced by start/end from opset 15"""
    # ops.dyn_shape (an int64 tensor op) rather than x.shape: a compiled graph keeps the dims symbolic
    return f"ops.dyn_shape({n.x(0)}){shape_subscript(n)}"


@op("Size")
def size(n):
    """the element count as an int64 scalar"""
    return f"mindspore.Tensor({n.x(0)}.size, mindspore.int64)"


@op("Expand")
def expand(n):
    """ops.broadcast_to the numpy broadcast of the input shape and the target shape"""
    target = n.sym(1)
    if target is not None:
        out = expand_shape(n.in_shape(0), target.dims, n.out_shape(0))
        if out is not None:  # known at convert time, up to dims broadcast_to keeps (-1): compiles in GRAPH_MODE
            return f"ops.broadcast_to({n.x(0)}, {tuple_source(out)})"
        # both sides symbolic: broadcast against a mask of the target shape (no branch to compile)
        helper = n.helper("_expand_like", _EXPAND_LIKE)
        return f"{helper}({n.x(0)}, {target.source('()')})"
    helper = n.helper("_expand", _EXPAND)  # a shape computed from data (PYNATIVE_MODE)
    return f"{helper}({n.x(0)}, {int_values(n, 1, 'the target shape')})"


_EXPAND_LIKE = """
def _expand_like(x, shape):
    # ONNX Expand broadcasts both ways; `where` broadcasts its operands the same way and copies x exactly.
    return ops.where(ops.ones(shape, mindspore.bool_), x, x)
"""

_EXPAND = """
def _expand(x, shape):
    # ONNX Expand: numpy broadcasting of the input's shape and the target shape (either may be larger)
    rank = max(len(x.shape), len(shape))
    dims = (1,) * (rank - len(x.shape)) + tuple(x.shape)
    wanted = (1,) * (rank - len(shape)) + tuple(shape)
    return ops.broadcast_to(x, tuple(d if t == 1 else t for d, t in zip(dims, wanted)))
"""


@op("Tile", versions=[6, 13])
def tile(n):
    """ops.tile with constant repeats"""
    return f"ops.tile({n.x(0)}, {int_values(n, 1, 'repeats')})"


_SLICE_RUNTIME = """
def _slice_runtime(x, starts, ends, axes, steps):
    # arguments read at run time (PYNATIVE_MODE): Python slicing clamps like ONNX Slice
    axes = range(len(starts)) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    for start, end, axis, step in zip(starts, ends, axes, steps):
        dim = x.shape[axis]
        start = max(-dim, min(start, dim))
        end = None if (step < 0 and end < -dim) else max(-dim, min(end, dim))
        # gather the exact positions: MindSpore's strided slice returns garbage for negative steps (measured)
        picked = list(range(*slice(start, end, step).indices(dim)))
        x = ops.gather(x, mindspore.Tensor(picked, mindspore.int64), axis % x.ndim) if picked else (
            ops.zeros(tuple(0 if i == axis % x.ndim else d for i, d in enumerate(x.shape)), x.dtype))
    return x
"""


def _slice_subscript(n) -> str | None:
    """Python slicing for bounds that are symbolic dims (constant axes, positive constant steps)."""
    starts, ends, rank = n.sym(1), n.sym(2), n.in_rank(0)
    if starts is None or ends is None or rank is None or all(n.const(i) is not None for i in (1, 2)):
        return None  # constant bounds: the literal path below
    axes = n.const_list(3) if n.has_input(3) else list(range(len(starts.dims)))
    steps = n.const_list(4) if n.has_input(4) else [1] * len(starts.dims)
    if axes is None or steps is None or any(int(s) <= 0 for s in steps) or any(not -rank <= a < rank for a in axes):
        return None
    return slice_subscript(rank, list(starts.dims), list(ends.dims), [int(a) for a in axes], [int(s) for s in steps])


def _rank_free_subscript(starts, ends, axes, steps, limit) -> str | None:
    """A forward slice of an input of unknown rank: axes counted from the front index from the front,
    axes counted from the back follow an ellipsis (`x[..., 0:4]`)."""
    if any(step < 1 for step in steps) or not axes or (min(axes) < 0 <= max(axes)):
        return None
    front = min(axes) >= 0
    parts = [":"] * (max(axes) + 1) if front else ["..."] + [":"] * -min(axes)
    for start, end, axis, step in zip(starts, ends, axes, steps):
        start, end = max(-limit, min(start, limit)), max(-limit, min(end, limit))
        parts[axis if front else len(parts) + axis] = f"{start}:{end}" + ("" if step == 1 else f":{step}")
    return f"[{', '.join(parts)}]"


@op("Slice", versions=[10, 11, 13])
def slice_(n):
    """tensor slicing with constant starts/ends/axes/steps (clamped as in Python)"""
    subscript = _slice_subscript(n)
    if subscript is not None:
        return f"{n.x(0)}{subscript}"
    if any(n.has_input(i) and n.const(i) is None for i in range(1, 5)):
        helper = n.helper("_slice_runtime", _SLICE_RUNTIME)
        parts = [
            int_values(n, i, name) if n.has_input(i) else "None"
            for i, name in ((1, "starts"), (2, "ends"), (3, "axes"), (4, "steps"))
        ]
        return f"{helper}({n.x(0)}, {', '.join(parts)})"
    starts, ends = _const_ints(n, 1, "starts"), _const_ints(n, 2, "ends")
    rank = n.in_rank(0)
    axes = _const_ints(n, 3, "axes") if n.has_input(3) else list(range(len(starts)))
    steps = _const_ints(n, 4, "steps") if n.has_input(4) else [1] * len(starts)
    limit = 2**62
    if rank is None:
        subscript = _rank_free_subscript(starts, ends, axes, steps, limit)
        if subscript is None:
            n.refuse("input rank must be known (for a negative step, or axes counted from both ends)")
        return f"{n.x(0)}{subscript}"
    index = ["::"] * rank
    backwards = []
    for start, end, axis, step in zip(starts, ends, axes, steps):
        start = max(-limit, min(start, limit))
        end = max(-limit, min(end, limit))
        if step < 0:
            backwards.append((start, end, axis % rank, step))
        else:
            index[axis % rank] = f"{start}:{end}:{step}"
    x = n.x(0)
    if any(i != "::" for i in index) or not backwards:
        x = f"{x}[{', '.join(i if i != '::' else ':' for i in index)}]"
    # MindSpore's strided slice returns garbage for negative steps (measured): a whole reversed axis is
    # ops.flip (torch.flip exports as Slice(-1, INT64_MIN, step -1)); other backward slices gather their indices
    shape = n.in_shape(0)
    for start, end, axis, step in backwards:
        dim = shape[axis] if shape is not None else None
        whole = step == -1 and end <= -(2**31) and (start == -1 or start >= 2**31 - 1 or start >= (dim or limit) - 1)
        if whole:
            x = f"ops.flip({x}, ({axis},))"
            continue
        if not isinstance(dim, int):
            n.refuse(f"a negative slice step on axis {axis} needs its size known at convert time for MindSpore")
        picked = list(range(*slice(start, end, step).indices(dim)))
        if not picked:
            n.refuse(f"the negative-step slice on axis {axis} is empty")
        x = f"ops.gather({x}, {n.tensor(np.array(picked, np.int64), 'picked')}, {axis})"
    return x


@op("Split", versions=[13, 18])
def split(n):
    """ops.split with constant sizes (or equal parts / num_outputs)"""
    axis = int(n.attr("axis", 0))
    if n.has_input(1) and n.const(1) is None:
        return f"ops.split({n.x(0)}, {int_values(n, 1, 'split sizes')}, axis={axis})"
    sizes = _const_ints(n, 1, "split sizes") if n.has_input(1) else None
    if sizes is None:
        shape = n.in_shape(0)
        dim = shape[axis] if shape is not None else None
        count = split_count(n)
        if not isinstance(dim, int):  # equal parts of a run-time size: ceil(dim / count) each, the last smaller
            x = n.x(0)
            return f"ops.split({x}, -(-{x}.shape[{axis}] // {count}), axis={axis})"
        sizes = even_split(dim, count)
    shape = n.in_shape(0)
    if axis < 0 and shape is not None:
        axis += len(shape)
    if axis < 0:
        return f"ops.split({n.x(0)}, {tuple(sizes)!r}, axis={axis})"
    # slices, not ops.split: GRAPH_MODE fails to compile ops.split's own axis check on dynamic shapes
    # (measured: NameError 'axis' from its generator expression, Mixtral's expert split)
    x, lead, bounds = n.x(0), ":, " * axis, np.cumsum([0, *sizes]).tolist()
    parts = [f"{x}[{lead}{start}:{end}]" for start, end in zip(bounds, bounds[1:])]
    return f"({', '.join(parts)},)"


# MindSpore's own padding_idx only initialises that row to zeros; torch's keeps its gradient at zero
_TORCH_EMBEDDING = """
class TorchEmbedding(nn.Embedding):
    \"\"\"nn.Embedding with torch's padding_idx: that row is looked up as stored and never trained.\"\"\"

    def __init__(self, vocab_size, embedding_size, padding_row, **kwargs):
        super().__init__(vocab_size, embedding_size, **kwargs)
        self.padding_row = padding_row

    def construct(self, ids):
        out = super().construct(ids)
        # the padding positions' values, cut from the graph: no gradient reaches the padding row
        return ops.where((ids == self.padding_row).expand_dims(-1), ops.stop_gradient(out), out)
"""


@op("Gather")
def gather(n):
    """ops.gather along axis (negative indices wrapped); nn.Embedding for torch's"""
    # a port that trains: TorchEmbedding for torch's padding_idx (that row read as stored, never trained)
    table, padding = embedding_lookup(n)
    if table is not None:
        layer_type, row = "nn.Embedding", ""
        if padding is not None:
            layer_type, row = n.helper("TorchEmbedding", _TORCH_EMBEDDING), f", {padding}"
        ctor = (f"{layer_type}({table.shape[0]}, {table.shape[1]}{row}, use_one_hot=False, embedding_table='zeros', "
                f"dtype={n.dtype(n.in_dtype(1))}, padding_idx=None)")  # fmt: skip
        layer = n.layer(n.layer_hint(0), ctor, {"embedding_table": table},
                        {"embedding_table": n.input_source_name(0) or "weight"})  # fmt: skip
        return f"{layer}({n.x(1)})"
    subscript = scalar_index(n)
    if subscript is not None:  # one constant index: x[:, 2], not a gather of a one-element tensor
        return f"{n.x(0)}{subscript}"
    axis = int(n.attr("axis", 0))
    x, idx = n.x(0), n.x(1)
    const = n.const(1)
    if const is None or (const < 0).any():  # negative indices wrapped
        idx = f"ops.where({idx} < 0, {idx} + {x}.shape[{axis}], {idx})"
    # the CPU Gather kernel takes every dtype but bfloat16: that is gathered in float32 (exact both ways)
    return widened(n, [x], n.in_dtype(0), lambda data: f"ops.gather({data}, {idx}, {axis})")


@op("Trilu")
def trilu(n):
    """ops.triu / ops.tril with a constant diagonal"""
    upper = n.attr("upper", 1)
    k = int_value(n, 1, "k") if n.has_input(1) else "0"
    shape = n.in_shape(0)
    if shape is not None and any(d == 0 for d in shape):
        return n.x(0)  # an empty matrix stays empty (MindSpore's CPU tril rejects zero width)
    return f"{'ops.triu' if upper else 'ops.tril'}({n.x(0)}, diagonal={k})"


@op("DepthToSpace")
def depth_to_space(n):
    """reshape-transpose-reshape in DCR or CRD order (static shapes)"""
    b, mode, perm = depth_to_space_plan(n)
    shape = n.in_shape(0)
    if shape is None or any(not isinstance(d, int) for d in shape):
        n.refuse("a static input shape is needed")
    batch, c, h, w = shape
    split = tuple(depth_to_space_split(mode, b, batch, c, h, w))
    out = (batch, c // (b * b), h * b, w * b)
    return f"ops.reshape(ops.transpose(ops.reshape({n.x(0)}, {split!r}), {perm!r}), {out!r})"


@op("SpaceToDepth")
def space_to_depth(n):
    """reshape-transpose-reshape (static shapes); DCR or (opset 28) CRD channel order"""
    b = int(n.attr("blocksize"))
    order = space_to_depth_order(n)
    shape = n.in_shape(0)
    if shape is None or any(not isinstance(d, int) for d in shape):
        n.refuse("a static input shape is needed")
    batch, c, h, w = shape
    split = (batch, c, h // b, b, w // b, b)
    out = (batch, c * b * b, h // b, w // b)
    return f"ops.reshape(ops.transpose(ops.reshape({n.x(0)}, {split!r}), {order!r}), {out!r})"


_PAD_RUNTIME = """
def _pad_runtime(x, pads, axes, value, mode="constant"):
    # pads read at run time (PYNATIVE_MODE): ONNX [begin..., end...] over `axes`
    axes = list(range(x.ndim)) if axes is None else [a % x.ndim for a in axes]
    half = len(pads) // 2
    begins, ends = [0] * x.ndim, [0] * x.ndim
    for i, axis in enumerate(axes):
        begins[axis], ends[axis] = pads[i], pads[half + i]
    # negative pads crop by slicing: ops.pad with negative pads is wrong from its second call on (measured)
    x = x[tuple(slice(max(-b, 0), x.shape[i] - max(-e, 0)) for i, (b, e) in enumerate(zip(begins, ends)))]
    if mode != "constant":  # numpy's pad of each axis's index range is ONNX's reflect / edge / wrap rule
        for axis, (b, e) in enumerate(zip(begins, ends)):
            if max(b, 0) or max(e, 0):
                index = np.pad(np.arange(x.shape[axis]), (max(b, 0), max(e, 0)), mode=mode)
                x = ops.gather(x, mindspore.Tensor(index, mindspore.int32), axis)
        return x
    order = tuple(max(v, 0) for axis in reversed(range(x.ndim)) for v in (begins[axis], ends[axis]))
    return ops.pad(x, order, mode="constant", value=value) if any(order) else x
"""


_NUMPY_PAD_MODES = {"reflect": "reflect", "edge": "edge", "wrap": "wrap"}


@op("Pad", versions=[11, 13, 18, 19, 21, 23, 24, 25])
def pad(n):
    """ops.pad in constant mode (negative pads crop first); reflect / edge / wrap as gathers of indices
    computed at convert time (axes input: listed axes only)"""
    mode = pad_mode(n)
    rank = n.in_rank(0)
    if n.const(1) is None or (n.since >= 18 and n.has_input(3) and n.const(3) is None):
        helper = n.helper("_pad_runtime", _PAD_RUNTIME)
        axes = int_values(n, 3, "axes") if n.since >= 18 and n.has_input(3) else "None"
        value = f"{n.x(2)}.asnumpy().item()" if n.has_input(2) and mode == "constant" else "0"
        n.require_eager("pads are read at run time")
        extra = "" if mode == "constant" else f", {_NUMPY_PAD_MODES[mode]!r}"
        return f"{helper}({n.x(0)}, {int_values(n, 1, 'pads')}, {axes}, {value}{extra})"
    pads = _const_ints(n, 1, "pads")
    if rank is None:
        n.refuse("input rank must be known")
    axes = _const_ints(n, 3, "axes") if n.since >= 18 and n.has_input(3) else list(range(rank))
    half = len(pads) // 2
    begins, ends = [0] * rank, [0] * rank
    for i, axis in enumerate(axes):
        begins[axis % rank], ends[axis % rank] = pads[i], pads[half + i]
    x = n.x(0)
    shape = list(n.in_shape(0) or [None] * rank)
    if any(v < 0 for v in begins + ends):
        # negative pads crop: sliced here, because MindSpore's ops.pad with negative pads is exact on its
        # first call and wrong on later calls with new tensors of the same shape (measured, CPU)
        index = [f"{max(-b, 0)}:{-max(-e, 0) or ''}" for b, e in zip(begins, ends)]
        cropped = n.tmp("cropped")
        n.stmt(f"{cropped} = {x}[{', '.join(index)}]")
        x = cropped
        shape = [d - max(-b, 0) - max(-e, 0) if isinstance(d, int) else d for d, b, e in zip(shape, begins, ends)]
        begins, ends = [max(b, 0) for b in begins], [max(e, 0) for e in ends]
    if not any(begins + ends):
        return x
    if mode != "constant":
        if n.has_input(2):
            n.ignore_attr("constant_value", "only constant mode reads it")
        return _pad_by_gather(n, x, shape, begins, ends, mode)
    # MindSpore's padding tuple runs from the last dim backwards: (last_begin, last_end, prev_begin, ...)
    order = tuple(v for axis in reversed(range(rank)) for v in (begins[axis], ends[axis]))
    value = "0"
    if n.has_input(2):
        if n.const(2) is not None:
            value = n.lit(n.const(2).item())
        else:
            value = f"{n.x(2)}.asnumpy().item()"
            n.require_eager("the pad value is read at run time")
    return f"ops.pad({x}, {order!r}, mode='constant', value={value})"


def _pad_by_gather(n, x: str, shape: list, begins: list[int], ends: list[int], mode: str) -> str:
    """reflect / edge / wrap padding: numpy's pad of the index range is exactly ONNX's rule for each axis, so
    the padded tensor is a gather of those indices (any rank and axis; ops.pad's reflect takes only the last
    dims of 3-D to 5-D inputs)."""
    for axis, (b, e) in enumerate(zip(begins, ends)):
        if not (b or e):
            continue
        dim = shape[axis]
        if not isinstance(dim, int):
            n.refuse(f"mode={mode!r} needs a static size on padded axis {axis} for MindSpore")
        if dim == 0:
            n.refuse(f"mode={mode!r} cannot pad the empty axis {axis}")
        index = np.pad(np.arange(dim, dtype=np.int32), (b, e), mode=_NUMPY_PAD_MODES[mode])
        x = f"ops.gather({x}, {n.tensor(index, 'pad_index')}, {axis})"
    return x


@op("Range")
def range_(n):
    """ops.arange(start, limit, delta) in the inputs' dtype"""
    dtype = n.in_dtype(0)
    if dtype not in ("float32", "float64", "int32", "int64"):
        n.refuse(f"dtype {dtype} is not supported by ops.arange")
    syms = [n.sym(i) for i in range(3)]
    if all(s is not None and s.scalar for s in syms) and any(n.const(i) is None for i in range(3)):
        # bounds from symbolic dims (torch.onnx's arange(seq_len)): GRAPH_MODE compiles them as dynamic
        # scalars. An empty range needs a zero-length dim, which no sequence in a batch has.
        bounds = ", ".join(s.dims[0].expr for s in syms)
        return f"ops.arange({bounds}, dtype={n.dtype(dtype)})"
    args = []
    for i in range(3):
        c = n.const(i)
        args.append(n.lit(c.item()) if c is not None else f"{n.x(i)}.asnumpy().item()")
        if c is None:
            n.warn(f"input {i} is read at run time: the generated model runs in PYNATIVE_MODE only")
            n.require_eager(f"Range input {i} is read at run time")
    if all(n.const(i) is not None for i in range(3)):
        return f"ops.arange({', '.join(args)}, dtype={n.dtype(dtype)})"
    # run-time bounds may give an empty range, which ONNX allows and ops.arange rejects
    helper = n.helper("_range", _RANGE)
    return f"{helper}({', '.join(args)}, {n.dtype(dtype)})"


_RANGE = """
def _range(start, limit, delta, dtype):
    # ONNX Range: max(ceil((limit - start) / delta), 0) elements; an empty range is a valid result
    if (limit - start) * delta <= 0:
        return ops.zeros((0,), dtype)
    return ops.arange(start, limit, delta, dtype=dtype)
"""


@op("EyeLike", versions=[9, 22])
def eye_like(n):
    """ones on the k-th diagonal of a matrix shaped like the input, in dtype or the input's dtype"""
    k, dtype = eye_like_args(n)
    helper = n.helper("_eye_like", _EYE_LIKE)
    return f"{helper}({n.x(0)}, {k}, {n.dtype(dtype)})"


_EYE_LIKE = """
def _eye_like(x, k, dtype):
    rows, cols = x.shape
    i = ops.arange(rows).reshape((-1, 1))
    j = ops.arange(cols).reshape((1, -1))
    return (j - i == k).astype(dtype)
"""


@op("CenterCropPad", versions=[18])
def center_crop_pad(n):
    """center crop (a slice) or zero-pad each listed axis to the target size"""
    helper = n.helper("_center_crop_pad", _CENTER_CROP_PAD)
    return f"{helper}({n.x(0)}, {int_values(n, 1, 'shape')}, {n.lit(n.attr('axes', None))})"


_CENTER_CROP_PAD = """
def _center_crop_pad(x, shape, axes=None):
    axes = list(range(x.ndim)) if axes is None else [a % x.ndim for a in axes]
    for axis, size in zip(axes, shape):
        dim = x.shape[axis]
        if size < dim:
            start = (dim - size) // 2
            x = x[tuple(slice(start, start + size) if i == axis else slice(None) for i in range(x.ndim))]
        elif size > dim:
            before = (size - dim) // 2
            # MindSpore's padding tuple runs from the last dim backwards; only non-negative pads (crops slice)
            order = [0] * (2 * x.ndim)
            order[2 * (x.ndim - 1 - axis)], order[2 * (x.ndim - 1 - axis) + 1] = before, size - dim - before
            x = ops.pad(x, tuple(order), mode="constant", value=0)
    return x
"""
