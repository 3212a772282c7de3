"""Image ops for MindSpore: Resize and Upsample as separable resampling whose source indices and
weights are computed at convert time (static shapes, constant scales/sizes), so the generated Cell is
pure gathers and blends and compiles under GRAPH_MODE; scales or sizes given at run time make the same
plan at run time (PYNATIVE_MODE). The coordinate formulas are ONNX's own
(porter/semantics.py: resample_plan), which nn.ResizeBilinear-style kernels do not all match.
GridSample; NonMaxSuppression on the host."""

import numpy as np

from porter.op_maps import _detection as detection
from porter.op_maps import _grids as grids
from porter.op_maps._source import lazy_source
from porter.op_maps.mindspore._registry import op
from porter.op_maps.mindspore._runtime_values import int_values
from porter.semantics import grid_sample_args, resample_plan
from porter.semantics import image as reading


def _resize_from_plan(n, x: str, shape, out_sizes, scales, mode: str, c: reading.Coordinates) -> str:
    expr = x
    for axis, (size, out, scale) in enumerate(zip(shape, out_sizes, scales)):
        if size == out and scale == 1.0:
            continue
        taps = resample_plan(size, out, scale, mode, c.ctm, c.nearest_mode, c.cubic_a, c.exclude_outside)
        view = [1] * len(shape)
        view[axis] = out
        terms = []
        for index, weight in taps:
            picked = f"ops.gather({expr}, {n.tensor(index.astype(np.int64), 'resize_index')}, {axis})"
            if weight is None:
                terms.append(picked)
            else:
                w = n.tensor(weight.reshape(view).astype(np.float32), "resize_weight")
                terms.append(f"{picked} * {w}")
        result = n.tmp("resized")
        n.stmt(f"{result} = {' + '.join(terms)}")
        expr = result
    return expr


def resize_targets(in_sizes, sizes, scales, policy):
    """Output sizes and scales of the resized axes by ONNX's rule: from sizes (with keep_aspect_ratio_policy)
    or from scales. Plain Python (sizes are non-negative, so int() is floor): porter runs it at convert time,
    and generated code that reads sizes or scales at run time carries its source."""
    if sizes is not None:
        sizes = [int(s) for s in sizes]
        if policy == "stretch":
            return sizes, [s / i for s, i in zip(sizes, in_sizes)]
        scale = (min if policy == "not_larger" else max)(s / i for s, i in zip(sizes, in_sizes))
        return [int(scale * i + 0.5) for i in in_sizes], [scale] * len(in_sizes)
    scales = [float(s) for s in scales]
    return [int(i * s) for i, s in zip(in_sizes, scales)], scales


# The run-time form computes the same plan from the same functions' source (one definition of ONNX's rules).
_RESIZE_RUNTIME = lazy_source(
    resample_plan,
    "\n\n",
    resize_targets,
    """

def _resize(x, sizes, scales, axes, policy, mode, ctm, nearest_mode, cubic_a, exclude):
    # sizes / scales read at run time (PYNATIVE_MODE): gathers and blends of a plan made on the host
    axes = list(range(x.ndim)) if axes is None else [a % x.ndim for a in axes]
    in_sizes = [x.shape[a] for a in axes]
    out_sizes, scales = resize_targets(in_sizes, sizes, scales, policy)
    for axis, size, out, scale in zip(axes, in_sizes, out_sizes, scales):
        if size == out and scale == 1.0:
            continue
        view = [1] * x.ndim
        view[axis] = out
        y = None
        for index, weight in resample_plan(size, out, scale, mode, ctm, nearest_mode, cubic_a, exclude):
            term = ops.gather(x, mindspore.Tensor(index), axis)
            if weight is not None:
                term = term * mindspore.Tensor(weight.reshape(view).astype(np.float32))
            y = term if y is None else y + term
        x = y
    return x
""",
)


def _runtime_floats(n, i: int, what: str) -> str:
    n.warn(f"{what} (input {i}) is read at run time: the generated model runs in PYNATIVE_MODE only")
    n.require_eager(f"{what} is read at run time")
    return f"tuple(float(v) for v in {n.x(i)}.asnumpy().reshape(-1))"


def _resize(n, scales_input: int | None, sizes_input: int | None, mode: str, c: reading.Coordinates):
    """Resize of the listed axes to sizes or by scales: a plan made at convert time when they are constants
    (compiles under GRAPH_MODE), else the same plan made at run time."""
    axes, policy = reading.resize_axes(n)
    shape = n.in_shape(0)
    if shape is None or any(not isinstance(d, int) for d in shape):
        n.refuse("a static input shape is needed for MindSpore's Resize")
    rank = len(shape)
    axes = list(range(rank)) if axes is None else [int(a) % rank for a in axes]
    # sizes when given and not empty (the node suite passes an empty tensor for the unused one)
    use_sizes = sizes_input is not None and n.has_input(sizes_input) and n.in_shape(sizes_input) != [0]
    if use_sizes and n.const_list(sizes_input) is not None and len(n.const_list(sizes_input)) == 0:
        use_sizes = False
    chosen = sizes_input if use_sizes else scales_input
    if chosen is None or not n.has_input(chosen):
        n.refuse("neither scales nor sizes is given")
    values = n.const_list(chosen)
    if values is not None:
        targets = ([int(v) for v in values], None) if use_sizes else (None, [float(v) for v in values])
        out, scale = resize_targets([shape[a] for a in axes], *targets, policy)
        out_sizes, scales = list(shape), [1.0] * rank
        for axis, size, s in zip(axes, out, scale):
            out_sizes[axis], scales[axis] = size, s
        return _resize_from_plan(n, n.x(0), shape, out_sizes, scales, mode, c)
    helper = n.helper("_resize", _RESIZE_RUNTIME())
    read = _runtime_floats(n, chosen, "sizes" if use_sizes else "scales")
    sizes, scales = (read, "None") if use_sizes else ("None", read)
    return (
        f"{helper}({n.x(0)}, {sizes}, {scales}, {n.lit(axes)}, {policy!r}, {mode!r}, {c.ctm!r}, {c.nearest_mode!r}, "
        f"{n.lit(c.cubic_a)}, {c.exclude_outside})"
    )


@op("Resize", versions=[11, 13, 18, 19], dtypes={"float32"})
def resize(n):
    """separable resampling with ONNX's coordinate transformation (static input shape)"""
    mode, coords = reading.resize_mode(n), reading.resize_coordinates(n)
    if coords.ctm == "tf_crop_and_resize":
        n.refuse("tf_crop_and_resize is not mapped for MindSpore yet")
    return _resize(n, 2, 3, mode, coords)


@op("Resize", versions=[10], dtypes={"float32"})
def resize_10(n):
    """Resize-10: scales only, asymmetric coordinates, nearest rounds down (as Upsample)"""
    return _resize(n, 1, None, reading.resize_mode(n), reading.resize_coordinates(n))


@op("Upsample", versions=[9], dtypes={"float32"})
def upsample(n):
    """Resize with asymmetric coordinates and floor rounding (Upsample's definition)"""
    return _resize(n, 1, None, reading.upsample_mode(n), reading.UPSAMPLE_COORDINATES)


@op("Upsample", versions=[7], dtypes={"float32"})
def upsample_7(n):
    """Upsample-7: scales as an attribute"""
    shape = n.in_shape(0)
    if shape is None or any(not isinstance(d, int) for d in shape):
        n.refuse("a static input shape is needed for MindSpore's Upsample")
    scales = [float(s) for s in n.attr("scales")]
    out_sizes = [int(i * s) for i, s in zip(shape, scales)]
    return _resize_from_plan(
        n, n.x(0), shape, out_sizes, scales, reading.upsample_mode(n), reading.UPSAMPLE_COORDINATES
    )


@op("GridSample", dtypes={"float32", "float64"})
def grid_sample(n):
    """ops.grid_sample (bilinear; zeros, border, reflection padding), 2-D and 3-D"""
    mode, padding_mode, align, _ = grid_sample_args(n)
    if mode == "nearest":  # measured: off by whole pixels against the node suite (ties at .5 round otherwise)
        n.refuse("mode='nearest' is not mapped for MindSpore (its kernel rounds sample positions unlike ONNX)")
    return f"ops.grid_sample({n.x(0)}, {n.x(1)}, mode={mode!r}, padding_mode={padding_mode!r}, align_corners={align})"


detection.register(
    op,
    __name__,
    host="(lambda t: t.asnumpy())",
    tensor="mindspore.Tensor",
    roi_vocab={
        "gather": "ops.gather",
        "cast": "(lambda t, dtype: t.astype(mindspore.int64))",
        "unsqueeze": "ops.unsqueeze",
        "matmul": "ops.matmul",
        "transpose": "ops.transpose",
    },
)
grids.register(
    op,
    __name__,
    {"matmul": "ops.matmul", "transpose": "ops.transpose", "reshape": "ops.reshape", "tensor": "mindspore.Tensor"},
    int_values,
)
