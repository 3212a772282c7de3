"""Image ops: Resize, Upsample, GridSample and NonMaxSuppression.

Resize is written as a separable per-axis resampling with ONNX's own coordinate formulas: source
positions are computed on the host from the tensor's shape (cheap, index-only), the data is gathered
and blended on the device. This matches every coordinate_transformation_mode and nearest_mode of the
spec exactly, which nn.functional.interpolate's align_corners/align_mode pair cannot.
"""

from porter.op_maps import _detection as detection
from porter.op_maps import _grids as grids
from porter.op_maps.paddle._registry import op
from porter.op_maps.paddle.elementwise import widened
from porter.op_maps.paddle.shape import int_list
from porter.semantics import grid_sample_args
from porter.semantics import image as reading

_RESIZE = """
def _resize(x, sizes, scales, axes, mode, ctm, nearest_mode, cubic_a, exclude_outside, extrapolation, roi, policy):
    # ONNX Resize, one axis at a time. sizes or scales cover `axes`; roi only for tf_crop_and_resize.
    axes = list(range(x.ndim)) if axes is None else [a % x.ndim for a in axes]
    in_sizes = [x.shape[a] for a in axes]
    if sizes is not None:
        sizes = [int(s) for s in sizes]
        if policy == "stretch":
            scales = [s / i for s, i in zip(sizes, in_sizes)]
        else:
            pick = min if policy == "not_larger" else max
            scale = pick(s / i for s, i in zip(sizes, in_sizes))
            scales = [scale] * len(axes)
            sizes = [int(scale * i + 0.5) for i in in_sizes]
    else:
        scales = [float(s) for s in scales]
        sizes = [int(np.floor(i * s)) for i, s in zip(in_sizes, scales)]
    for k, axis in enumerate(axes):
        if sizes[k] == in_sizes[k] and scales[k] == 1.0 and ctm != "tf_crop_and_resize":
            continue
        start = end = None
        if roi is not None:
            start, end = float(roi[k]), float(roi[len(axes) + k])
        x = _resize_axis(x, axis, sizes[k], scales[k], mode, ctm, nearest_mode, cubic_a, exclude_outside,
                         extrapolation, start, end)
    return x


def _resize_axis(x, axis, out_size, scale, mode, ctm, nearest_mode, cubic_a, exclude_outside, extrapolation,
                 roi_start, roi_end):
    in_size = x.shape[axis]
    pos = np.arange(out_size, dtype=np.float64)
    out_f = scale * in_size  # ONNX's coordinate formulas use the unrounded output length
    if ctm == "half_pixel":
        src = (pos + 0.5) / scale - 0.5
    elif ctm == "half_pixel_symmetric":
        adjustment = out_size / (scale * in_size)
        src = in_size / 2 * (1 - adjustment) + (pos + 0.5) / scale - 0.5
    elif ctm == "pytorch_half_pixel":
        src = (pos + 0.5) / scale - 0.5 if out_f > 1 else np.zeros(out_size)
    elif ctm == "align_corners":
        src = pos * (in_size - 1) / (out_f - 1) if out_f > 1 else np.zeros(out_size)
    elif ctm == "asymmetric":
        src = pos / scale
    else:  # tf_crop_and_resize
        if out_size > 1:
            src = roi_start * (in_size - 1) + pos * (roi_end - roi_start) * (in_size - 1) / (out_size - 1)
        else:
            src = np.full(out_size, 0.5 * (roi_start + roi_end) * (in_size - 1))
    outside = (src < 0) | (src > in_size - 1)
    shape = [1] * x.ndim
    shape[axis] = out_size
    if mode == "nearest":
        if nearest_mode == "round_prefer_floor":
            idx = np.ceil(src - 0.5)
        elif nearest_mode == "round_prefer_ceil":
            idx = np.floor(src + 0.5)
        elif nearest_mode == "floor":
            idx = np.floor(src)
        else:
            idx = np.ceil(src)
        idx = np.clip(idx, 0, in_size - 1).astype(np.int64)
        y = paddle.index_select(x, paddle.to_tensor(idx), axis=axis)
    else:
        base = np.floor(src)
        ratio = src - base
        if mode == "linear":
            offsets = [0, 1]
            weights = [1 - ratio, ratio]
        else:
            a = cubic_a
            r = ratio
            offsets = [-1, 0, 1, 2]
            weights = [
                ((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a,
                ((a + 2) * r - (a + 3)) * r * r + 1,
                ((a + 2) * (1 - r) - (a + 3)) * (1 - r) * (1 - r) + 1,
                ((a * (2 - r) - 5 * a) * (2 - r) + 8 * a) * (2 - r) - 4 * a,
            ]
        taps = [base + o for o in offsets]
        if exclude_outside:
            weights = [np.where((t < 0) | (t > in_size - 1), 0.0, w) for t, w in zip(taps, weights)]
            total = sum(weights)
            weights = [w / total for w in weights]
        y = None
        for t, w in zip(taps, weights):
            idx = paddle.to_tensor(np.clip(t, 0, in_size - 1).astype(np.int64))
            term = paddle.index_select(x, idx, axis=axis) * paddle.to_tensor(w.reshape(shape), dtype=x.dtype)
            y = term if y is None else y + term
    if ctm == "tf_crop_and_resize" and outside.any():
        mask = paddle.to_tensor(outside.reshape(shape))
        y = paddle.where(mask, paddle.full_like(y, extrapolation), y)
    return y
"""


def _floats_or_runtime(n, i: int) -> str:
    const = n.const_list(i)
    if const is not None:
        return n.lit([float(v) for v in const]) if const else "None"
    return f"({n.x(i)}.tolist() or None)"


def _coordinate_args(c: reading.Coordinates) -> str:
    return f"{c.ctm!r}, {c.nearest_mode!r}, {c.cubic_a!r}, {bool(c.exclude_outside)}, {c.extrapolation!r}"


@op("Resize", dtypes={"float32", "float64", "float16", "bfloat16"})
def resize(n):
    """separable resampling with ONNX's coordinate transformation, nearest rounding and cubic kernel"""
    mode = reading.resize_mode(n)
    coords = reading.resize_coordinates(n)
    if n.since < 11:
        scales, sizes, roi = _floats_or_runtime(n, 1), "None", "None"
    else:
        roi = _floats_or_runtime(n, 1) if n.has_input(1) else "None"
        scales = _floats_or_runtime(n, 2) if n.has_input(2) else "None"
        sizes = f"{n.x(3)}.tolist()" if n.has_input(3) else "None"
        if n.has_input(3) and n.const(3) is not None:
            sizes = n.lit([int(v) for v in n.const_list(3)])
    axes, policy = reading.resize_axes(n)
    if sizes == "None" and scales == "None":
        n.refuse("neither scales nor sizes is given")
    if coords.ctm != "tf_crop_and_resize":
        roi = "None"
    helper = n.helper("_resize", _RESIZE)
    args = f"{sizes}, {scales}, {n.lit(axes)}, {mode!r}, {_coordinate_args(coords)}, {roi}, {policy!r}"
    return widened(n, [n.x(0)], n.in_dtype(0), lambda x: f"{helper}({x}, {args})")


@op("Upsample", dtypes={"float32", "float64", "float16"})
def upsample(n):
    """Resize with asymmetric coordinates and floor rounding (Upsample's definition)"""
    mode = reading.upsample_mode(n)
    scales = n.lit([float(s) for s in n.attr("scales")]) if n.since < 9 else _floats_or_runtime(n, 1)
    if n.since < 7:
        n.refuse("Upsample-1 (width_scale/height_scale) is not supported")
    helper = n.helper("_resize", _RESIZE)
    args = f"None, {scales}, None, {mode!r}, {_coordinate_args(reading.UPSAMPLE_COORDINATES)}, None, 'stretch'"
    return widened(n, [n.x(0)], n.in_dtype(0), lambda x: f"{helper}({x}, {args})")


@op("GridSample", dtypes={"float32", "float64"})
def grid_sample(n):
    """nn.functional.grid_sample (bilinear / nearest; zeros, border, reflection padding), 2-D and 3-D"""
    mode, padding_mode, align, _ = grid_sample_args(n)
    return (
        f"nn.functional.grid_sample({n.x(0)}, {n.x(1)}, mode={mode!r}, padding_mode={padding_mode!r}, "
        f"align_corners={align})"
    )


detection.register(
    op,
    __name__,
    host="(lambda t: t.numpy())",
    tensor="paddle.to_tensor",
    roi_vocab={
        "gather": "paddle.gather",
        "cast": "paddle.cast",
        "unsqueeze": "paddle.unsqueeze",
        "matmul": "paddle.matmul",
        "transpose": "paddle.transpose",
    },
)
grids.register(
    op,
    __name__,
    {
        "matmul": "paddle.matmul",
        "transpose": "paddle.transpose",
        "reshape": "paddle.reshape",
        "tensor": "paddle.to_tensor",
    },
    int_list,
)
