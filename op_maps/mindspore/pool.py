"""Pooling for MindSpore: MaxPool / AveragePool via explicit padding and nn.MaxPool2d/3d / nn.AvgPool2d/3d with
pad_mode='valid' (exact for asymmetric ONNX pads), global pools as reductions."""

import numpy as np

from porter.op_maps.mindspore._registry import op
from porter.semantics.pool import counts_padding, lp_norm_p, pool_window, spatial_axes


def _setup(n):
    """(kernel, strides, ONNX pads [begins..., ends...], input expression, output wrapper, layer rank): a 1-D
    pool runs as a 2-D one over a height of 1 (exact); 2-D and 3-D as themselves."""
    kernel, strides, pads, ceil_mode = pool_window(n)
    if ceil_mode:
        n.refuse("ceil_mode=1 is not mapped for MindSpore yet")
    if len(kernel) == 1:
        x = f"ops.expand_dims({n.x(0)}, 2)"
        return [1, kernel[0]], [1, strides[0]], [0, pads[0], 0, pads[1]], x, lambda y: f"ops.squeeze({y}, 2)"
    return kernel, strides, pads, n.x(0), lambda y: y


def _pad_first(n, x: str, pads: list[int], value: str) -> str:
    if not any(pads):
        return x
    rank = len(pads) // 2
    # ops.pad's tuple runs from the last dim backwards: (last_begin, last_end, previous_begin, ...)
    order = tuple(v for axis in reversed(range(rank)) for v in (pads[axis], pads[rank + axis]))
    padded = n.tmp("padded")
    n.stmt(f"{padded} = ops.pad({x}, {order!r}, mode='constant', value={value})")
    return padded


def _pool_layer(n, kind: str, kernel: list[int], strides: list[int]) -> str:
    return n.layer(
        n.name,
        f"nn.{kind}{len(kernel)}d(kernel_size={tuple(kernel)!r}, stride={tuple(strides)!r}, pad_mode='valid')",
        {},
    )


@op("MaxPool", dtypes={"float32", "float16", "int8", "uint8"})
def max_pool(n):
    """-inf padding, then nn.MaxPool2d(pad_mode='valid'); int8/uint8 pool in float32 (exact) and cast back"""
    if n.has_output(1):
        n.refuse("the Indices output is not mapped for MindSpore yet")
    if n.since >= 8:
        n.attr("storage_order", 0)
    kernel, strides, pads, source, wrap = _setup(n)
    small_int = n.in_dtype(0) in ("int8", "uint8")
    if small_int:
        source = f"{source}.astype(mindspore.float32)"
    x = _pad_first(n, source, pads, "float('-inf')")
    pool = _pool_layer(n, "MaxPool", kernel, strides)
    pooled = wrap(f"{pool}({x})")
    return f"{pooled}.astype({n.dtype(n.in_dtype(0))})" if small_int else pooled


@op("AveragePool", dtypes={"float32", "float16"})
def average_pool(n):
    """nn.AvgPool2d; padded positions are counted only with count_include_pad=1"""
    count_include_pad = counts_padding(n)
    kernel, strides, pads, source, wrap = _setup(n)
    x = _pad_first(n, source, pads, "0.0")
    pool = _pool_layer(n, "AvgPool", kernel, strides)
    if count_include_pad or not any(pads):
        return wrap(f"{pool}({x})")
    # padding excluded: the window average of the zero-padded input over that of a zero-padded
    # ones-mask is sum / (number of real elements), exactly, for any (asymmetric) padding
    mask = _pad_first(n, f"ops.ones_like({source})", pads, "0.0")
    return wrap(f"{pool}({x}) / {pool}({mask})")


@op("GlobalAveragePool", dtypes={"float32", "float16", "float64"})
def global_average_pool(n):
    """ops.mean over the spatial axes, keep_dims"""
    return f"ops.mean({n.x(0)}, axis={tuple(spatial_axes(n))!r}, keep_dims=True)"


@op("GlobalMaxPool", dtypes={"float32", "float16", "float64"})
def global_max_pool(n):
    """ops.amax over the spatial axes, keepdims"""
    return f"ops.amax({n.x(0)}, axis={tuple(spatial_axes(n))!r}, keepdims=True)"


@op("GlobalLpPool", dtypes={"float32", "float64"})
def global_lp_pool(n):
    """p-norm over the spatial axes, keepdims"""
    p = lp_norm_p(n)
    axes = tuple(spatial_axes(n))
    return f"ops.pow(ops.sum(ops.pow(ops.abs({n.x(0)}), {p}), dim={axes!r}, keepdim=True), {1.0 / p!r})"


@op("LpPool", dtypes={"float32", "float64"})
def lp_pool(n):
    """(sum over the window of |x|^p)^(1/p): a zero-padded average pool times the window size"""
    p = lp_norm_p(n)
    kernel, strides, pads, source, wrap = _setup(n)
    powered = f"ops.pow(ops.abs({source}), {p})"
    x = _pad_first(n, powered, pads, "0.0")
    pool = _pool_layer(n, "AvgPool", kernel, strides)
    return wrap(f"ops.pow({pool}({x}) * {int(np.prod(kernel))}, {1.0 / p!r})")
