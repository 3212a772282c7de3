"""Pooling: MaxPool, AveragePool, LpPool, their Global forms, MaxUnpool.

Pads are passed to Paddle as per-dimension pairs, which expresses ONNX's asymmetric pads exactly
(with count_include_pad mapped to Paddle's `exclusive`).
"""

from porter.op_maps.paddle._registry import op
from porter.semantics import pooled_sizes_ceil
from porter.semantics.pool import counts_padding, lp_norm_p, pool_window, spatial_axes

_POOL_DTYPES = {"float32", "float64", "float16"}


def _pool_setup(n):
    kernel, strides, pads, ceil_mode = pool_window(n)
    rank = len(kernel)
    in_shape = n.in_shape(0)
    begin, end = pads[:rank], pads[rank:]
    crop = None
    spatial = None if in_shape is None else in_shape[2:]
    if ceil_mode:
        if spatial is None or not all(isinstance(d, int) for d in spatial):
            n.refuse("ceil_mode=1 needs static spatial input dims (to drop windows that start in the padding)")
        crop = pooled_sizes_ceil(spatial, kernel, strides, begin, end)
    if rank == 1:
        padding = [begin[0], end[0]] if begin != end else begin
    elif begin == end:
        padding = begin
    else:
        padding = [[0, 0], [0, 0]] + [[b, e] for b, e in zip(begin, end)]
    return rank, kernel, strides, padding, ceil_mode, crop


@op("MaxPool", dtypes=_POOL_DTYPES | {"int8", "uint8"})
def max_pool(n):
    """nn.functional.max_pool1d/2d/3d (Indices output converted to ONNX's flat NCHW indexing)"""
    small_int = n.in_dtype(0) in ("int8", "uint8")
    if small_int and n.has_output(1):
        n.refuse("Paddle's max_pool kernels take float inputs only (no Indices output for int8/uint8)")
    if n.since >= 8 and n.attr("storage_order", 0) != 0 and n.has_output(1):
        n.refuse("storage_order=1 (column-major indices) is not supported")
    rank, kernel, strides, padding, ceil_mode, crop = _pool_setup(n)
    # int8/uint8 pool in float32, which holds every value exactly (a max picks one, so the cast back is exact)
    x = f"paddle.cast({n.x(0)}, 'float32')" if small_int else n.x(0)
    call = (
        f"nn.functional.max_pool{rank}d({x}, kernel_size={n.lit(kernel)}, stride={n.lit(strides)}, "
        f"padding={n.lit(padding)}, ceil_mode={ceil_mode}"
    )
    if not n.has_output(1):
        pooled = _crop(crop, call + ")")
        return f"paddle.cast({pooled}, {n.dtype(n.in_dtype(0))})" if small_int else pooled
    if rank != 2:
        n.refuse("the Indices output is supported for 2-D pooling only")
    helper = n.helper("_plane_to_flat_indices", _FLAT_INDICES)
    out, mask = n.tmp("pooled"), n.tmp("mask")
    n.stmt(f"{out}, {mask} = {call}, return_mask=True)")
    return [out, f"{helper}({mask}, {n.x(0)}.shape)"]


_FLAT_INDICES = """
def _plane_to_flat_indices(mask, shape):
    # Paddle's pooling mask indexes within each H*W plane; ONNX's indexes the whole NCHW tensor.
    n_, c_, h_, w_ = shape
    offsets = paddle.arange(n_ * c_, dtype='int64').reshape([n_, c_, 1, 1]) * (h_ * w_)
    return paddle.cast(mask, 'int64') + offsets
"""


@op("AveragePool", dtypes=_POOL_DTYPES)
def average_pool(n):
    """nn.functional.avg_pool1d/2d/3d (exclusive = not count_include_pad)"""
    count_include_pad = counts_padding(n)
    rank, kernel, strides, padding, ceil_mode, crop = _pool_setup(n)
    x = n.x(0)
    if count_include_pad:
        x, padding = _zero_pad_first(n, x, padding, rank)
    return _crop(
        crop,
        f"nn.functional.avg_pool{rank}d({x}, kernel_size={n.lit(kernel)}, stride={n.lit(strides)}, "
        f"padding={n.lit(padding)}, ceil_mode={ceil_mode}, exclusive={not count_include_pad})",
    )


def _zero_pad_first(n, x: str, padding, rank: int):
    """Paddle 3.3's avg_pool with exclusive=False averages asymmetric padding wrongly (measured: max abs
    error 0.39 on a 4x4 input); zero-padding explicitly and pooling unpadded is exact."""
    if not isinstance(padding[0], list):
        if rank != 1 or padding[0] == padding[-1]:
            return x, padding
        pairs = [[padding[0], padding[1]]]
    else:
        pairs = padding[2:]
    flat = [0, 0, 0, 0] + [v for pair in pairs for v in pair]
    padded = n.tmp("padded")
    n.stmt(f"{padded} = nn.functional.pad({x}, {n.lit(flat)}, mode='constant', value=0.0)")
    return padded, [0] * rank


@op("LpPool", dtypes=_POOL_DTYPES)
def lp_pool(n):
    """(sum over the window of |x|^p)^(1/p), via a zero-padded average pool times the window size"""
    p = lp_norm_p(n)
    rank, kernel, strides, padding, ceil_mode, crop = _pool_setup(n)
    window = 1
    for k in kernel:
        window *= k
    x, padding = _zero_pad_first(n, n.x(0), padding, rank)
    powered = f"paddle.pow(paddle.abs({x}), {p})"
    pooled = (
        f"nn.functional.avg_pool{rank}d({powered}, kernel_size={n.lit(kernel)}, stride={n.lit(strides)}, "
        f"padding={n.lit(padding)}, ceil_mode={ceil_mode}, exclusive=False)"
    )
    return _crop(crop, f"paddle.pow({pooled} * {window}, {1.0 / p!r})")


def _crop(sizes: list[int] | None, expr: str) -> str:
    """Keep ONNX's ceil_mode output size (Paddle keeps a last window that starts in the padding)."""
    if not sizes:
        return expr
    return f"{expr}[:, :, {', '.join(f':{s}' for s in sizes)}]"


@op("GlobalAveragePool", dtypes=_POOL_DTYPES)
def global_average_pool(n):
    """paddle.mean over the spatial axes, keepdim"""
    return f"paddle.mean({n.x(0)}, axis={spatial_axes(n)}, keepdim=True)"


@op("GlobalMaxPool", dtypes=_POOL_DTYPES)
def global_max_pool(n):
    """paddle.max over the spatial axes, keepdim"""
    return f"paddle.max({n.x(0)}, axis={spatial_axes(n)}, keepdim=True)"


@op("GlobalLpPool", dtypes=_POOL_DTYPES)
def global_lp_pool(n):
    """p-norm over the spatial axes, keepdim"""
    p = lp_norm_p(n)
    return (
        f"paddle.pow(paddle.sum(paddle.pow(paddle.abs({n.x(0)}), {p}), axis={spatial_axes(n)}, keepdim=True), "
        f"{1.0 / p!r})"
    )


@op("MaxUnpool", dtypes=_POOL_DTYPES)
def max_unpool(n):
    """scatter the pooled values to their flat indices, then place at the origin of output_shape"""
    kernel = list(n.attr("kernel_shape"))
    rank = len(kernel)
    strides = list(n.attr("strides", [1] * rank))
    pads = list(n.attr("pads", [0] * (2 * rank)))
    in_shape = n.in_shape(0)
    if in_shape is None or not all(isinstance(d, int) for d in in_shape):
        n.refuse("static input shape needed to infer the unpooled shape")
    spatial = [(in_shape[2 + i] - 1) * strides[i] + kernel[i] - pads[i] - pads[i + rank] for i in range(rank)]
    inferred = n.lit(list(in_shape[:2]) + spatial)
    if n.has_input(2):
        shape = n.const_list(2)
        out_shape = n.lit([int(v) for v in shape]) if shape is not None else f"{n.x(2)}.tolist()"
    else:
        out_shape = inferred
    helper = n.helper("_max_unpool", _MAX_UNPOOL)
    return f"{helper}({n.x(0)}, {n.x(1)}, {inferred}, {out_shape})"


_MAX_UNPOOL = """
def _max_unpool(x, indices, inferred_shape, shape):
    # ONNX MaxUnpool: indices are flat positions in the inferred unpooled tensor, which is then
    # placed at the origin of a zero tensor of the requested output shape.
    flat = paddle.zeros([int(np.prod(inferred_shape))], dtype=x.dtype)
    flat = paddle.scatter(flat, indices.flatten(), x.flatten(), overwrite=True)
    unpooled = paddle.reshape(flat, inferred_shape)
    widths = []
    for have, want in zip(inferred_shape, shape):
        widths += [0, want - have]
    if not any(widths):
        return unpooled
    return nn.functional.pad(unpooled, widths, mode="constant", value=0.0)
"""
