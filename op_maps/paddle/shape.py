"""Shape manipulation: Reshape, Flatten, Transpose, Concat, Split, Squeeze/Unsqueeze, Shape, Expand, Tile,
Slice, Pad, DepthToSpace/SpaceToDepth, Range, ConstantOfShape, EyeLike, Trilu, Size, CenterCropPad.

Shapes, axes and pads given as inputs are written as literals when they are constants, as Python lists
of the framework's own dims (`[input_ids.shape[0], -1, 8]`) when they are shape arithmetic on symbolic
dims (porter.symdims: these compile under paddle.jit.to_static), and read with .tolist() at run time
otherwise (a shape that depends on tensor values: dynamic mode only).
"""

from porter.op_maps.paddle._registry import op
from porter.semantics import space_to_depth_order
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
from porter.symdims import Dim, expand_shape, slice_subscript

# Paddle's CPU kernels for these ops lack some small integer types; refuse them rather than crash.
_MOVE_DTYPES = {"float16", "bfloat16", "float32", "float64", "int8", "uint8", "int16", "int32", "int64", "bool"}


def int_list(n, i: int, what: str) -> str:
    """Source for a Python list of ints taken from input i (a literal when constant)."""
    const = n.const_list(i)
    if const is not None:
        return n.lit([int(v) for v in const])
    sym = n.sym(i)
    if sym is not None:
        return sym.source()
    n.require_eager(f"{what} (input {i}) is read from a tensor at run time")
    return f"{n.x(i)}.tolist()"


def _axes_from_attr_or_input(n, attr_since: int, input_index: int = 1):
    """Axes given as an attribute before `attr_since`, as an optional input from then on (None = absent)."""
    if n.since < attr_since:
        axes = n.attr("axes", None)
        return None if axes is None else n.lit([int(a) for a in axes])
    if not n.has_input(input_index):
        return None
    return int_list(n, input_index, "axes")


# Paddle 3 returns views from these (strided tensors sharing the input's memory), and reshaping a view can
# leave strides its CPU kernels then copy element by element: a [1, 4, 64, 64] attention operand made by
# reshape(transpose(...)) has a size-1 axis with a non-unit stride, and a matmul on it took 372 us for 16K
# floats, against 17 us on the copy made before the reshape (bench/paddle_kernel_costs.py; the hand-written
# layer's operands keep standard strides). So a Reshape of a view copies it first; .contiguous() of a tensor that
# already is returns it as it is.
_VIEWS = frozenset({"Transpose", "Squeeze", "Unsqueeze", "Gather", "Slice", "Split", "Flatten"})


@op("Reshape", versions=[5, 13, 14, 19, 21, 23, 24, 25])
def reshape(n):
    """paddle.reshape; 0 copies the input dim unless allowzero=1"""
    allowzero = allows_zero(n)
    shape = n.const_list(1)
    x = n.x(0)
    if n.producer(0) in _VIEWS:
        x = f"{x}.contiguous()"
    if shape is not None:
        shape = [int(v) for v in shape]
        if allowzero and 0 in shape:
            if -1 in shape:
                n.refuse("allowzero=1 with both 0 and -1 in the shape is invalid ONNX")
            return (
                f"paddle.reshape({x}, {n.lit(shape)})"
                if all(shape)
                else f"paddle.zeros({n.lit(shape)}, dtype={x}.dtype)"
            )
        return f"paddle.reshape({x}, {n.lit(shape)})"
    sym = n.sym(1)
    if sym is not None and not (allowzero and any(d.value == 0 for d in sym.dims)):
        # symbolic elements are sizes of existing tensors; under allowzero=1 a literal 0 would be a real
        # zero-length dim, which the run-time helper below handles
        return f"paddle.reshape({x}, {sym.source()})"
    if allowzero:
        helper = n.helper("_reshape_allowzero", _RESHAPE_ALLOWZERO)
        return f"{helper}({x}, {int_list(n, 1, 'the target shape')})"
    # a shape computed from data: paddle.reshape takes the tensor itself (0 copies, -1 infers, as in ONNX)
    return f"paddle.reshape({x}, {n.x(1)})"


_RESHAPE_ALLOWZERO = """
def _reshape_allowzero(x, shape):
    # ONNX allowzero=1: a 0 in the target shape is a real zero-length dim, not "copy this dim".
    if 0 in shape:
        return paddle.zeros(shape, dtype=x.dtype)
    return paddle.reshape(x, shape)
"""


@op("Flatten", dtypes=_MOVE_DTYPES)
def flatten(n):
    """reshape to 2-D: dims before axis, dims from axis on"""
    axis, rank = flatten_axis(n)
    x = n.x(0)
    if axis == 0:
        return f"paddle.reshape({x}, [1, -1])"
    if axis == rank:
        return f"paddle.reshape({x}, [-1, 1])"
    if axis == 1:
        return f"paddle.flatten({x}, start_axis=1)"
    return f"paddle.flatten(paddle.flatten({x}, start_axis=0, stop_axis={axis - 1}), start_axis=1)"


@op("Transpose", dtypes=_MOVE_DTYPES)
def transpose(n):
    """paddle.transpose (default: reverse the axes)"""
    return f"paddle.transpose({n.x(0)}, {n.lit(transpose_perm(n))})"


@op("Concat")
def concat(n):
    """paddle.concat"""
    return f"paddle.concat([{', '.join(n.xs())}], axis={concat_axis(n)})"


@op("Split")
def split(n):
    """paddle.split (sizes from the split attribute/input, or num_outputs / equal parts)"""
    axis = n.attr("axis", 0)
    x = n.x(0)
    sizes = None
    if n.since < 13:
        sizes = n.attr("split", None)
        if n.since < 2 and n.has_input(1):
            sizes = n.const_list(1)
            if sizes is None:
                n.refuse("split sizes must be constant")
    elif n.has_input(1):
        sizes = n.const_list(1)
        if sizes is None:
            return f"paddle.split({x}, {n.x(1)}.tolist(), axis={axis})"
    if sizes is not None and len(sizes):
        return f"paddle.split({x}, {n.lit([int(s) for s in sizes])}, axis={axis})"
    count = split_count(n)
    shape = n.in_shape(0)
    dim = shape[axis] if shape is not None and -len(shape) <= axis < len(shape) else None
    if isinstance(dim, int) and dim % count:  # ONNX 18+: uneven split, the last chunk is smaller
        return f"paddle.split({x}, {n.lit(even_split(dim, count))}, axis={axis})"
    return f"paddle.split({x}, {count}, axis={axis})"


@op("Squeeze")
def squeeze(n):
    """paddle.squeeze"""
    axes = _axes_from_attr_or_input(n, 13)
    x = n.x(0)
    if axes is None:
        return f"paddle.squeeze({x})"
    return f"paddle.squeeze({x}, axis={axes})"


@op("Unsqueeze")
def unsqueeze(n):
    """paddle.unsqueeze (axes refer to the output rank)"""
    axes = _axes_from_attr_or_input(n, 13)
    if axes is None:
        n.refuse("axes are required")
    const = n.const_list(1) if n.since >= 13 else n.attr("axes")
    x = n.x(0)
    rank = n.in_rank(0)
    if const is not None and rank is not None:
        return f"paddle.unsqueeze({x}, axis={n.lit(unsqueeze_positions(const, rank))})"
    helper = n.helper("_unsqueeze", _UNSQUEEZE)
    return f"{helper}({x}, {axes})"


_UNSQUEEZE = """
def _unsqueeze(x, axes):
    # ONNX axes count in the output's rank; insert in increasing order.
    rank = x.ndim + len(axes)
    return paddle.unsqueeze(x, axis=sorted(a % rank for a in axes))
"""


@op("Shape")
def shape(n):
    """the shape as an int64 tensor (start/end slice from opset 15)"""
    # paddle.shape (int64) rather than x.shape: a tensor op, so a compiled program keeps the dims symbolic
    return f"paddle.shape({n.x(0)}){shape_subscript(n)}"


@op("Size")
def size(n):
    """the element count as an int64 scalar"""
    return f"paddle.numel({n.x(0)})"


@op("Expand", dtypes=_MOVE_DTYPES)
def expand(n):
    """numpy-style (bidirectional) broadcast of x to shape"""
    x = n.x(0)
    sym = n.sym(1)
    if sym is not None:
        out = expand_shape(n.in_shape(0), sym.dims, n.out_shape(0))
        if out is not None:
            return f"paddle.expand({x}, [{', '.join(out)}])"
        # both sides symbolic and not provably equal: broadcast against a tensor of the target shape,
        # which the compiler sizes at run time (no value is read back)
        helper = n.helper("_expand_like", _EXPAND_LIKE)
        return f"{helper}({x}, {sym.source()})"
    if n.in_dtype(0) in _BROADCAST_DTYPES:  # a shape computed from data: paddle.zeros takes the tensor itself
        helper = n.helper("_expand_like", _EXPAND_LIKE)
        return f"{helper}({x}, {n.x(1)})"
    helper = n.helper("_expand", _EXPAND)
    return f"{helper}({x}, {int_list(n, 1, 'shape')})"


# paddle.broadcast_tensors' kernels
_BROADCAST_DTYPES = {"bool", "float16", "float32", "float64", "int32", "int64"}


_EXPAND_LIKE = """
def _expand_like(x, shape):
    # ONNX Expand broadcasts both ways (a 1 on either side gives way to the other side's dim).
    return paddle.broadcast_tensors([x, paddle.zeros(shape, dtype=x.dtype)])[0]
"""


_EXPAND = """
def _expand(x, shape):
    # ONNX Expand broadcasts both ways: a 1 in `shape` keeps x's dim.
    return paddle.broadcast_to(x, np.broadcast_shapes(tuple(x.shape), tuple(shape)))
"""


@op("Tile", dtypes=_MOVE_DTYPES)
def tile(n):
    """paddle.tile"""
    if n.since < 6:
        n.refuse("Tile-1 (tiles + axis inputs) is not supported")
    return f"paddle.tile({n.x(0)}, {int_list(n, 1, 'repeats')})"


@op("Slice")
def slice_(n):
    """tensor slicing with per-axis start/stop/step, clamped like Python slicing"""
    x = n.x(0)
    subscript = slice_source(n)
    if subscript is not None:
        return f"{x}{subscript}"
    helper = n.helper("_slice", _SLICE)
    if n.since < 10:
        axes = n.attr("axes", None)
        args = [n.lit(list(n.attr("starts"))), n.lit(list(n.attr("ends"))), n.lit(None if axes is None else list(axes))]
        return f"{helper}({x}, {', '.join(args)})"
    args = [int_list(n, 1, "starts"), int_list(n, 2, "ends")]
    args.append(int_list(n, 3, "axes") if n.has_input(3) else "None")
    args.append(int_list(n, 4, "steps") if n.has_input(4) else "None")
    return f"{helper}({x}, {', '.join(args)})"


def slice_source(n) -> str | None:
    """The Python subscript for a Slice whose bounds are constants or symbolic dims (None otherwise)."""
    rank = n.in_rank(0)
    if rank is None:
        return None
    if n.since < 10:
        starts = [Dim.of(int(v)) for v in n.attr("starts")]
        ends = [Dim.of(int(v)) for v in n.attr("ends")]
        axes = n.attr("axes", None)
        steps = [1] * len(starts)
    else:
        bounds = [n.sym(1), n.sym(2)]
        if any(b is None for b in bounds):
            return None
        starts, ends = list(bounds[0].dims), list(bounds[1].dims)
        axes = n.const_list(3) if n.has_input(3) else None
        steps = n.const_list(4) if n.has_input(4) else [1] * len(starts)
        if (n.has_input(3) and axes is None) or steps is None:
            return None
    axes = list(range(len(starts))) if axes is None else [int(a) for a in axes]
    if any(not -rank <= a < rank for a in axes) or any(int(s) == 0 for s in steps):
        return None  # invalid ONNX: the run-time helper raises the framework's error
    return slice_subscript(rank, starts, ends, axes, [int(s) for s in steps])


_SLICE = """
def _slice(x, starts, ends, axes=None, steps=None):
    # ONNX Slice: per-axis start/end/step, out-of-range values clamped as in Python slicing.
    axes = list(range(len(starts))) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    index = [slice(None)] * x.ndim
    for start, end, axis, step in zip(starts, ends, axes, steps):
        dim = x.shape[axis]
        start = max(-dim, min(start, dim))
        if step < 0 and end < -dim:
            end = None
        else:
            end = max(-dim, min(end, dim))
        index[axis] = slice(start, end, step)
    return x[tuple(index)]
"""


def _pads_list(n) -> str:
    if n.since < 11:
        return n.lit([int(p) for p in n.attr("pads" if n.since >= 2 else "paddings")])
    return int_list(n, 1, "pads")


@op("Pad")
def pad(n):
    """constant / reflect / edge / wrap padding of the listed axes (negative pads crop)"""
    mode = pad_mode(n)
    x = n.x(0)
    pads = _pads_list(n)
    if n.since < 11:
        value = n.lit(float(n.attr("value", 0.0)))
    elif n.has_input(2):
        value = f"{n.x(2)}.item()"
    else:
        value = "0"
    axes = int_list(n, 3, "axes") if n.since >= 18 and n.has_input(3) else "None"
    helper = n.helper("_pad", _PAD)
    return f"{helper}({x}, {pads}, {mode!r}, {value}, {axes})"


_PAD = """
def _pad(x, pads, mode, value, axes=None):
    # ONNX Pad: pads = [begin_0, begin_1, ..., end_0, end_1, ...] over `axes` (all axes by default).
    axes = list(range(x.ndim)) if axes is None else [a % x.ndim for a in axes]
    half = len(pads) // 2
    begins, ends = [0] * x.ndim, [0] * x.ndim
    for i, axis in enumerate(axes):
        begins[axis], ends[axis] = pads[i], pads[half + i]
    crop = tuple(slice(-b if b < 0 else 0, x.shape[i] + e if e < 0 else None) for i, (b, e) in enumerate(zip(begins, ends)))
    x = x[crop]
    widths = [(max(b, 0), max(e, 0)) for b, e in zip(begins, ends)]
    if not any(b or e for b, e in widths):
        return x
    if mode == "constant":
        flat = [w for pair in widths for w in pair]  # Paddle's full-rank order: [d0_begin, d0_end, d1_begin, ...]
        return nn.functional.pad(x, flat, mode="constant", value=value)
    # reflect/edge/wrap over arbitrary axes: numpy's pad has exactly ONNX's semantics (runs on the host).
    return paddle.to_tensor(np.pad(x.numpy(), widths, mode=mode))
"""


@op("DepthToSpace")
def depth_to_space(n):
    """reshape-transpose-reshape in DCR or CRD order"""
    b, mode, perm = depth_to_space_plan(n)
    split = f"[{', '.join(map(str, depth_to_space_split(mode, b, 'n_', 'c_', 'h_', 'w_')))}]"
    x = n.x(0)
    helper = n.helper(
        f"_depth_to_space_{mode.lower()}",
        f"""
def _depth_to_space_{mode.lower()}(x):
    n_, c_, h_, w_ = x.shape
    y = paddle.transpose(paddle.reshape(x, {split}), {list(perm)})
    return paddle.reshape(y, [n_, c_ // {b * b}, h_ * {b}, w_ * {b}])
""".replace("{b}", str(b)),
    )
    return f"{helper}({x})"


@op("SpaceToDepth")
def space_to_depth(n):
    """reshape-transpose-reshape; DCR or (opset 28) CRD channel order"""
    b = int(n.attr("blocksize"))
    order = list(space_to_depth_order(n))
    helper = n.helper("_space_to_depth", _SPACE_TO_DEPTH)
    return f"{helper}({n.x(0)}, {b}, {order})"


_SPACE_TO_DEPTH = """
def _space_to_depth(x, b, order):
    n_, c_, h_, w_ = x.shape
    y = paddle.transpose(paddle.reshape(x, [n_, c_, h_ // b, b, w_ // b, b]), order)
    return paddle.reshape(y, [n_, c_ * b * b, h_ // b, w_ // b])
"""


@op("Range")
def range_(n):
    """paddle.arange(start, limit, delta) in the inputs' dtype"""
    dtype = n.in_dtype(0)
    if dtype not in ("float32", "float64", "int32", "int64", "int16"):
        n.refuse(f"dtype {dtype} is not supported by paddle.arange")
    args = []
    for i in range(3):
        c, sym = n.const(i), n.sym(i)
        if c is not None:
            args.append(n.lit(c.item()))
        elif sym is not None and sym.scalar:
            args.append(sym.dims[0].expr)  # a symbolic dim: a 0-D tensor when compiled, which arange takes
        else:
            n.require_eager(f"Range input {i} is read from a tensor at run time")
            args.append(f"{n.x(i)}.item()")
    if dtype == "int16":
        return f"paddle.arange({', '.join(args)}, dtype='int32').astype('int16')"
    return f"paddle.arange({', '.join(args)}, dtype={n.dtype(dtype)})"


@op("ConstantOfShape")
def constant_of_shape(n):
    """paddle.full(shape, value)"""
    fill, dtype = constant_fill(n)
    return f"paddle.full({int_list(n, 0, 'shape')}, {n.lit(fill)}, dtype={n.dtype(dtype)})"


@op("EyeLike")
def eye_like(n):
    """ones on the k-th diagonal, in dtype or the input's dtype"""
    k, dtype = eye_like_args(n)
    x = n.x(0)
    helper = n.helper("_eye_like", _EYE_LIKE)
    return f"{helper}({x}, {k}, {n.dtype(dtype)})"


_EYE_LIKE = """
def _eye_like(x, k, dtype):
    rows, cols = x.shape
    i = paddle.arange(rows).unsqueeze(1)
    j = paddle.arange(cols).unsqueeze(0)
    return paddle.cast(j - i == k, dtype)
"""


@op("Trilu")
def trilu(n):
    """paddle.triu / paddle.tril with diagonal k"""
    upper = n.attr("upper", 1)
    k = n.const(1)
    diag = "0" if not n.has_input(1) else (n.lit(int(k.item())) if k is not None else f"int({n.x(1)})")
    fn = "paddle.triu" if upper else "paddle.tril"
    dtype = n.in_dtype(0)
    x = n.x(0)
    if dtype in ("bool", "int8", "uint8", "int16"):
        return f"paddle.cast({fn}(paddle.cast({x}, 'int32'), diagonal={diag}), {n.dtype(dtype)})"
    return f"{fn}({x}, diagonal={diag})"


@op("CenterCropPad")
def center_crop_pad(n):
    """center crop or zero-pad each listed axis to the target size"""
    axes = n.attr("axes", None)
    helper = n.helper("_center_crop_pad", _CENTER_CROP_PAD)
    return f"{helper}({n.x(0)}, {int_list(n, 1, 'shape')}, {n.lit(axes)})"


_CENTER_CROP_PAD = """
def _center_crop_pad(x, shape, axes=None):
    axes = list(range(x.ndim)) if axes is None else [a % x.ndim for a in axes]
    for axis, size in zip(axes, shape):
        dim = x.shape[axis]
        if size < dim:
            start = (dim - size) // 2
            index = [slice(None)] * x.ndim
            index[axis] = slice(start, start + size)
            x = x[tuple(index)]
        elif size > dim:
            before = (size - dim) // 2
            widths = [0] * (2 * x.ndim)
            widths[2 * axis], widths[2 * axis + 1] = before, size - dim - before
            x = nn.functional.pad(x, widths, mode="constant", value=0)
    return x
"""
