"""Normalizations for MindSpore: BatchNormalization (nn.BatchNorm2d; batch statistics when converted for
training), LRN, LayerNorm, RMSNorm, InstanceNorm, GroupNorm."""

from porter.op_maps.mindspore._registry import op
from porter.semantics import batch_norm_for_inference, batch_norm_for_training
from porter.semantics.norm import (
    group_norm_args,
    instance_norm_epsilon,
    lp_norm_args,
    lrn_args,
    mean_variance_axes,
    trailing_norm,
)


@op("BatchNormalization", dtypes={"float32", "float16"})
def batch_norm(n):
    """nn.BatchNorm1d/2d, every argument explicit: use_batch_statistics=False (the running statistics) for
    inference; None (batch statistics under set_train(True), running ones otherwise) in a port converted for
    training, whose running-statistics update is torch's (MindSpore's also folds in the unbiased variance)"""
    training = batch_norm_for_training(n)
    epsilon, momentum = training if training is not None else batch_norm_for_inference(n)
    consts = [n.const(i) for i in range(1, 5)]
    rank = n.in_rank(0)
    if any(c is None for c in consts) or rank not in (2, 4):
        n.refuse("BatchNormalization with run-time statistics or rank other than 2/4 is not mapped for MindSpore yet")
    scale, bias, mean, var = consts
    layer_type = "BatchNorm2d" if rank == 4 else "BatchNorm1d"
    ctor = (
        f"nn.{layer_type}({scale.shape[0]}, eps={epsilon!r}, momentum={momentum!r}, "
        f"affine={n.is_trainable(1) or n.is_trainable(2)}, "
        f"use_batch_statistics={None if training is not None else False})"
    )
    names = {
        k: n.input_source_name(i) or k
        for k, i in (("gamma", 1), ("beta", 2), ("moving_mean", 3), ("moving_variance", 4))
    }
    layer = n.layer(
        n.layer_hint(1), ctor, {"gamma": scale, "beta": bias, "moving_mean": mean, "moving_variance": var}, names
    )
    return [f"{layer}({n.x(0)})"]


_LRN = """
def _lrn(x, size, alpha, beta, bias):
    # ONNX LRN: x / (bias + alpha / size * sum of x^2 over `size` neighbouring channels) ** beta.
    # Written out (ops.lrn fails on CPU for some inputs: "could not execute a primitive").
    channels = x.shape[1]
    before = (size - 1) // 2
    squared = ops.pad(x * x, (0, 0, 0, 0, before, size - 1 - before), mode="constant", value=0.0)
    window = squared[:, 0:channels]
    for k in range(1, size):
        window = window + squared[:, k : k + channels]
    return x / ops.pow(bias + alpha / size * window, beta)
"""


@op("LRN", dtypes={"float32", "float64"})
def lrn(n):
    """the ONNX formula with a channel window sum"""
    size, alpha, beta, bias = lrn_args(n)
    if n.in_rank(0) != 4:
        n.refuse("LRN is mapped for 4-D NCHW inputs only")
    helper = n.helper("_lrn", _LRN)
    return f"{helper}({n.x(0)}, {size}, {alpha!r}, {beta!r}, {bias!r})"


def _trailing_setup(n):
    """(first normalized axis >= 0, epsilon, input expression, dtype to restore) for Layer/RMS norm."""
    axis, epsilon, restore = trailing_norm(n)
    x = f"ops.cast({n.x(0)}, mindspore.float32)" if restore else n.x(0)
    return axis, epsilon, x, restore


_LAYER_NORM = """
def _layer_norm(x, scale, bias, axis, epsilon):
    # ONNX LayerNormalization: statistics over axes [axis, rank); also returns Mean and InvStdDev.
    axes = tuple(range(axis, x.ndim))
    mean = ops.mean(x, axis=axes, keep_dims=True)
    inv_std_dev = ops.rsqrt(ops.mean(ops.square(x - mean), axis=axes, keep_dims=True) + epsilon)
    y = (x - mean) * inv_std_dev * ops.cast(scale, x.dtype)
    if bias is not None:
        y = y + ops.cast(bias, x.dtype)
    return y, mean, inv_std_dev
"""


@op("LayerNormalization", dtypes={"float32", "float64", "float16", "bfloat16"})
def layer_norm(n):
    """nn.LayerNorm over the trailing axes for constant parameters; the formula otherwise"""
    axis, epsilon, x, restore = _trailing_setup(n)
    scale = n.const(1)
    bias = n.const(2) if n.has_input(2) else None
    shape = n.in_shape(0)
    norm_shape = list(shape[axis:])
    stats = n.has_output(1) or n.has_output(2)
    if (
        not stats
        and restore is None
        and scale is not None
        and bias is not None
        and list(scale.shape) == norm_shape
        and all(isinstance(d, int) for d in norm_shape)
        and list(bias.shape) == norm_shape
    ):
        ctor = (
            f"nn.LayerNorm({tuple(norm_shape)!r}, begin_norm_axis={axis}, begin_params_axis={axis}, "
            f"epsilon={epsilon!r})"
        )
        names = {"gamma": n.input_source_name(1) or "gamma", "beta": n.input_source_name(2) or "beta"}
        return f"{n.layer(n.layer_hint(1), ctor, {'gamma': scale, 'beta': bias}, names)}({x})"
    helper = n.helper("_layer_norm", _LAYER_NORM)
    b = n.x(2) if n.has_input(2) else "None"
    out, mean, inv = n.tmp("normed"), n.tmp("mean"), n.tmp("inv_std_dev")
    n.stmt(f"{out}, {mean}, {inv} = {helper}({x}, {n.x(1)}, {b}, {axis}, {epsilon!r})")
    return [f"ops.cast({out}, {n.dtype(restore)})" if restore else out, mean, inv]


_RMS_NORM = """
def _rms_norm(x, scale, axis, epsilon):
    axes = tuple(range(axis, x.ndim))
    return x * ops.rsqrt(ops.mean(ops.square(x), axis=axes, keep_dims=True) + epsilon) * ops.cast(scale, x.dtype)
"""


@op("RMSNormalization", dtypes={"float32", "float64", "float16", "bfloat16"})
def rms_norm(n):
    """x / sqrt(mean(x^2) + epsilon) * scale over the trailing axes"""
    axis, epsilon, x, restore = _trailing_setup(n)
    y = f"{n.helper('_rms_norm', _RMS_NORM)}({x}, {n.x(1)}, {axis}, {epsilon!r})"
    return f"ops.cast({y}, {n.dtype(restore)})" if restore else y


_INSTANCE_NORM = """
def _instance_norm(x, scale, bias, epsilon):
    axes = tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mean = ops.mean(x, axis=axes, keep_dims=True)
    var = ops.mean(ops.square(x - mean), axis=axes, keep_dims=True)
    return (x - mean) / ops.sqrt(var + epsilon) * ops.reshape(scale, shape) + ops.reshape(bias, shape)
"""


@op("InstanceNormalization", dtypes={"float32", "float64"})
def instance_norm(n):
    """normalize over the spatial axes per sample and channel, then scale and shift"""
    epsilon = instance_norm_epsilon(n)
    return f"{n.helper('_instance_norm', _INSTANCE_NORM)}({n.x(0)}, {n.x(1)}, {n.x(2)}, {epsilon!r})"


_GROUP_NORM = """
def _group_norm(x, scale, bias, num_groups, epsilon):
    shape = x.shape
    grouped = ops.reshape(x, (shape[0], num_groups, -1))
    mean = ops.mean(grouped, axis=-1, keep_dims=True)
    var = ops.mean(ops.square(grouped - mean), axis=-1, keep_dims=True)
    y = ops.reshape((grouped - mean) / ops.sqrt(var + epsilon), shape)
    channel = (1, -1) + (1,) * (len(shape) - 2)
    return y * ops.reshape(scale, channel) + ops.reshape(bias, channel)
"""


@op("GroupNormalization", versions=[21], dtypes={"float32", "float64"})
def group_norm(n):
    """statistics per sample and channel group; per-channel scale and bias (opset 21 semantics)"""
    num_groups, epsilon, _ = group_norm_args(n)  # float32 and float64 only: nothing to stash
    return f"{n.helper('_group_norm', _GROUP_NORM)}({n.x(0)}, {n.x(1)}, {n.x(2)}, {num_groups}, {epsilon!r})"


@op("LpNormalization", dtypes={"float32", "float64"})
def lp_normalization(n):
    """x / ||x||_p along axis (0 where the norm is 0)"""
    axis, p = lp_norm_args(n)
    x = n.x(0)
    norm = n.tmp("norm")
    if p == 1:
        n.stmt(f"{norm} = ops.sum(ops.abs({x}), dim={axis}, keepdim=True)")
    else:
        n.stmt(f"{norm} = ops.sqrt(ops.sum({x} * {x}, dim={axis}, keepdim=True))")
    return f"ops.where({norm} == 0, ops.zeros_like({x}), {x} / {norm})"


@op("MeanVarianceNormalization", dtypes={"float32", "float64"})
def mean_variance_normalization(n):
    """(x - mean) / sqrt(var) over axes (default [0, 2, 3]; ONNX's function adds epsilon 1e-9)"""
    axes = tuple(mean_variance_axes(n))
    x = n.x(0)
    mean = n.tmp("mean")
    n.stmt(f"{mean} = ops.mean({x}, axis={axes!r}, keep_dims=True)")
    var = f"ops.mean(ops.square({x}), axis={axes!r}, keep_dims=True) - ops.square({mean})"
    return f"({x} - {mean}) / (ops.sqrt({var}) + 1e-09)"
