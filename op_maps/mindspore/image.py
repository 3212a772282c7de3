"""Image ops for MindSpore: Resize and Upsample as separable resampling whose source indices and
weights are computed at convert time (static shapes, constant scales/sizes), so the generated Cell is
pure gathers and blends and compiles under GRAPH_MODE. The coordinate formulas are ONNX's own
(porter/semantics.py: resample_plan), which nn.ResizeBilinear-style kernels do not all match."""

import numpy as np

from porter.op_maps.mindspore._registry import op
from porter.semantics import grid_sample_args, resample_plan


def _resize_from_plan(n, x: str, shape, out_sizes, scales, mode, ctm, nearest_mode, cubic_a, exclude) -> str:
    expr = x
    for axis, (size, out, scale) in enumerate(zip(shape, out_sizes, scales)):
        if size == out and scale == 1.0:
            continue
        taps = resample_plan(size, out, scale, mode, ctm, nearest_mode, cubic_a, exclude)
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


@op("Resize", versions=[11, 13, 18, 19], dtypes={"float32"})
def resize(n):
    """separable resampling with ONNX's coordinate transformation (static shapes, constant scales/sizes)"""
    mode = n.attr("mode", "nearest")
    ctm = n.attr("coordinate_transformation_mode", "half_pixel")
    nearest_mode = n.attr("nearest_mode", "round_prefer_floor")
    cubic_a = float(n.attr("cubic_coeff_a", -0.75))
    exclude = int(n.attr("exclude_outside", 0))
    n.attr("extrapolation_value", 0.0)
    if ctm == "tf_crop_and_resize":
        n.refuse("tf_crop_and_resize is not mapped for MindSpore yet")
    if n.since >= 18:
        if n.attr("antialias", 0):
            n.refuse("antialias=1 is not supported")
        if n.attr("axes", None) is not None or n.attr("keep_aspect_ratio_policy", "stretch") != "stretch":
            n.refuse("axes / keep_aspect_ratio_policy are not mapped for MindSpore yet")
    shape = n.in_shape(0)
    if shape is None or any(not isinstance(d, int) for d in shape):
        n.refuse("a static input shape is needed for MindSpore's Resize")
    scales = n.const_list(2) if n.has_input(2) else None
    sizes = n.const_list(3) if n.has_input(3) else None
    if sizes:
        out_sizes = [int(s) for s in sizes]
        scales = [o / i for o, i in zip(out_sizes, shape)]
    elif scales:
        scales = [float(s) for s in scales]
        out_sizes = [int(np.floor(i * s)) for i, s in zip(shape, scales)]
    else:
        n.refuse("scales or sizes must be constants for MindSpore")
    return _resize_from_plan(n, n.x(0), shape, out_sizes, scales, mode, ctm, nearest_mode, cubic_a, exclude)


@op("Upsample", versions=[9], dtypes={"float32"})
def upsample(n):
    """Resize with asymmetric coordinates and floor rounding (Upsample's definition)"""
    mode = n.attr("mode", "nearest")
    mode = "linear" if mode == "bilinear" else mode
    shape = n.in_shape(0)
    scales = n.const_list(1)
    if shape is None or any(not isinstance(d, int) for d in shape) or scales is None:
        n.refuse("a static input shape and constant scales are needed")
    scales = [float(s) for s in scales]
    out_sizes = [int(np.floor(i * s)) for i, s in zip(shape, scales)]
    return _resize_from_plan(n, n.x(0), shape, out_sizes, scales, mode, "asymmetric", "floor", -0.75, 0)


@op("GridSample", dtypes={"float32", "float64"})
def grid_sample(n):
    """ops.grid_sample (bilinear; zeros, border, reflection padding), 2-D and 3-D"""
    mode, padding_mode, align, _ = grid_sample_args(n)
    if mode == "nearest":  # measured: off by whole pixels against the node suite (ties at .5 round otherwise)
        n.refuse("mode='nearest' is not mapped for MindSpore (its kernel rounds sample positions unlike ONNX)")
    return f"ops.grid_sample({n.x(0)}, {n.x(1)}, mode={mode!r}, padding_mode={padding_mode!r}, align_corners={align})"
