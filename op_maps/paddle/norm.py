"""Normalizations: BatchNormalization, InstanceNormalization, LayerNormalization, GroupNormalization,
RMSNormalization, LRN, LpNormalization, MeanVarianceNormalization.

BatchNormalization and LayerNormalization become nn.BatchNorm*D / nn.LayerNorm layers when their
parameters are constants (every argument passed explicitly); otherwise the functional form.
"""

from porter.op_maps.paddle._registry import op
from porter.semantics import batch_norm_for_inference, batch_norm_for_training
from porter.semantics.norm import (
    group_norm_args,
    instance_norm_epsilon,
    lp_norm_args,
    lrn_args,
    mean_variance_axes,
    trailing_norm,
)

_NORM_DTYPES = {"float32", "float64", "float16"}


# torch folds the unbiased batch variance into the running variance; Paddle's batch_norm kernel folds the
# biased one. The port keeps Paddle's layer (its kernel, backward and state_dict) and adds the difference.
# model.py writes helpers in name order: the mixin's name sorts before the classes that use it.
_RUNNING_VARIANCE = """
class RunningVarianceAsTorch:
    \"\"\"For Paddle's BatchNorm layers: fold the unbiased batch variance into the running one, as torch does.\"\"\"

    def forward(self, x):
        y = super().forward(x)
        if self.training:
            # Paddle added (1 - momentum) * biased variance; torch adds (1 - momentum) * biased * n / (n - 1)
            with paddle.no_grad():
                n = paddle.numel(x).astype(x.dtype) / x.shape[1]
                biased = paddle.var(x, axis=[0] + list(range(2, x.ndim)), unbiased=False)
                self._variance.set_value(self._variance + (1.0 - self._momentum) * biased / (n - 1.0))
        return y
"""
_TORCH_BATCH_NORM = """
class TorchBatchNorm{dims}D(RunningVarianceAsTorch, nn.BatchNorm{dims}D):
    pass
"""
_BN_DIMS = {2: 1, 3: 1, 4: 2, 5: 3}
_BN_FORMATS = {2: "NC", 3: "NCL", 4: "NCHW", 5: "NCDHW"}


@op("BatchNormalization", dtypes=_NORM_DTYPES)
def batch_norm(n):
    """nn.BatchNorm1D/2D/3D with the running statistics (inference); batch statistics under train() and
    torch's running-statistics update in a port converted for training"""
    rank = n.in_rank(0)
    training = batch_norm_for_training(n)
    if training is not None:
        if rank not in _BN_DIMS:
            n.refuse(f"a training-mode BatchNormalization of a rank-{rank} input is not mapped")
        epsilon, momentum = training
        n.helper("RunningVarianceAsTorch", _RUNNING_VARIANCE)
        layer_type = n.helper(f"TorchBatchNorm{_BN_DIMS[rank]}D", _TORCH_BATCH_NORM.format(dims=_BN_DIMS[rank]))
    else:
        epsilon, momentum = batch_norm_for_inference(n)
        layer_type = f"nn.BatchNorm{_BN_DIMS.get(rank)}D"
    consts = [n.const(i) for i in range(1, 5)]
    if all(c is not None for c in consts) and rank in _BN_DIMS:
        scale, bias, mean, var = consts
        fmt = _BN_FORMATS[rank]
        # a source BatchNorm without affine parameters: Paddle's weight and bias stay 1 and 0, not trainable
        fixed = "" if n.is_trainable(1) or n.is_trainable(2) else ", weight_attr=False, bias_attr=False"
        ctor = f"{layer_type}({scale.shape[0]}, momentum={momentum!r}, epsilon={epsilon!r}{fixed}, data_format='{fmt}')"
        names = {
            k: n.input_source_name(i) or k for k, i in (("weight", 1), ("bias", 2), ("_mean", 3), ("_variance", 4))
        }
        layer = n.layer(n.layer_hint(1), ctor, {"weight": scale, "bias": bias, "_mean": mean, "_variance": var}, names)
        return [f"{layer}({n.x(0)})"]
    x, scale, bias, mean, var = (n.x(i) for i in range(5))
    return (
        f"nn.functional.batch_norm({x}, {mean}, {var}, weight={scale}, bias={bias}, training=False, "
        f"momentum={momentum!r}, epsilon={epsilon!r})"
    )


@op("InstanceNormalization", dtypes=_NORM_DTYPES)
def instance_norm(n):
    """normalize over the spatial axes per sample and channel, then scale and shift"""
    epsilon = instance_norm_epsilon(n)
    rank = n.in_rank(0)
    if rank is None:
        n.refuse("input rank must be known")
    axes = list(range(2, rank))
    shape = [1, -1] + [1] * (rank - 2)
    helper = n.helper("_instance_norm", _INSTANCE_NORM)
    return f"{helper}({n.x(0)}, {n.x(1)}, {n.x(2)}, {axes}, {shape}, {epsilon!r})"


_INSTANCE_NORM = """
def _instance_norm(x, scale, bias, axes, shape, epsilon):
    mean = paddle.mean(x, axis=axes, keepdim=True)
    var = paddle.mean(paddle.square(x - mean), axis=axes, keepdim=True)
    return (x - mean) / paddle.sqrt(var + epsilon) * paddle.reshape(scale, shape) + paddle.reshape(bias, shape)
"""


def _stashed(n, restore: str | None) -> str:
    """Input 0, in float32 where the statistics are computed in float32."""
    return f"paddle.cast({n.x(0)}, 'float32')" if restore else n.x(0)


def _trailing_norm_setup(n):
    """(first normalized axis >= 0, epsilon, input expression, dtype to restore) for Layer/RMS norm."""
    axis, epsilon, restore = trailing_norm(n)
    return axis, epsilon, _stashed(n, restore), restore


# Paddle's fused layer_norm kernel rejects epsilon > 1e-3 at run time (phi/infermeta/ternary.cc, found by
# a planted-fault test); larger epsilons take the functional helper, which has no such limit.
_FUSED_LAYER_NORM_MAX_EPSILON = 1e-3


@op("LayerNormalization", dtypes=_NORM_DTYPES | {"bfloat16"})
def layer_norm(n):
    """nn.LayerNorm over the trailing axes (functional form with Mean/InvStdDev outputs when asked)"""
    axis, epsilon, x, restore = _trailing_norm_setup(n)
    scale, bias = n.const(1), n.const(2) if n.has_input(2) else None
    wants_stats = n.has_output(1) or n.has_output(2)
    norm_shape = list(n.in_shape(0)[axis:])
    if (
        not wants_stats
        and restore is None
        and epsilon <= _FUSED_LAYER_NORM_MAX_EPSILON
        and scale is not None
        and list(scale.shape) == norm_shape
        and (not n.has_input(2) or (bias is not None and list(bias.shape) == norm_shape))
    ):
        params = {"weight": scale}
        names = {"weight": n.input_source_name(1) or "weight"}
        if bias is not None:
            params["bias"] = bias
            names["bias"] = n.input_source_name(2) or "bias"
        shape_lit = norm_shape[0] if len(norm_shape) == 1 else norm_shape
        ctor = (
            f"nn.LayerNorm({shape_lit!r}, epsilon={epsilon!r}" + ("" if bias is not None else ", bias_attr=False") + ")"
        )
        layer = n.layer(n.layer_hint(1), ctor, params, names)
        return f"{layer}({x})"
    helper = n.helper("_layer_norm", _LAYER_NORM)
    b = n.x(2) if n.has_input(2) else "None"
    out = n.tmp("normed")
    stats = [n.tmp("mean"), n.tmp("inv_std_dev")]
    n.stmt(f"{out}, {stats[0]}, {stats[1]} = {helper}({x}, {n.x(1)}, {b}, {axis}, {epsilon!r})")
    y = f"paddle.cast({out}, {n.dtype(restore)})" if restore else out
    return [y, stats[0], stats[1]]


_LAYER_NORM = """
def _layer_norm(x, scale, bias, axis, epsilon):
    # ONNX LayerNormalization: statistics over axes [axis, rank); also returns Mean and InvStdDev.
    axes = list(range(axis, x.ndim))
    mean = paddle.mean(x, axis=axes, keepdim=True)
    inv_std_dev = paddle.rsqrt(paddle.mean(paddle.square(x - mean), axis=axes, keepdim=True) + epsilon)
    y = (x - mean) * inv_std_dev * paddle.cast(scale, x.dtype)
    if bias is not None:
        y = y + paddle.cast(bias, x.dtype)
    return y, mean, inv_std_dev
"""


@op("RMSNormalization", dtypes=_NORM_DTYPES | {"bfloat16"})
def rms_norm(n):
    """x / sqrt(mean(x^2) + epsilon) * scale over the trailing axes"""
    axis, epsilon, x, restore = _trailing_norm_setup(n)
    helper = n.helper("_rms_norm", _RMS_NORM)
    y = f"{helper}({x}, {n.x(1)}, {axis}, {epsilon!r})"
    return f"paddle.cast({y}, {n.dtype(restore)})" if restore else y


_RMS_NORM = """
def _rms_norm(x, scale, axis, epsilon):
    axes = list(range(axis, x.ndim))
    return x * paddle.rsqrt(paddle.mean(paddle.square(x), axis=axes, keepdim=True) + epsilon) * paddle.cast(scale, x.dtype)
"""


@op("GroupNormalization", dtypes=_NORM_DTYPES)
def group_norm(n):
    """statistics per sample and channel group; per-channel scale and bias (opset 21 semantics)"""
    num_groups, epsilon, restore = group_norm_args(n)
    x = _stashed(n, restore)
    helper = n.helper("_group_norm", _GROUP_NORM)
    y = f"{helper}({x}, {n.x(1)}, {n.x(2)}, {num_groups}, {epsilon!r})"
    return f"paddle.cast({y}, {n.dtype(restore)})" if restore else y


_GROUP_NORM = """
def _group_norm(x, scale, bias, num_groups, epsilon):
    shape = x.shape
    grouped = paddle.reshape(x, [shape[0], num_groups, -1])
    mean = paddle.mean(grouped, axis=-1, keepdim=True)
    var = paddle.mean(paddle.square(grouped - mean), axis=-1, keepdim=True)
    y = paddle.reshape((grouped - mean) / paddle.sqrt(var + epsilon), shape)
    channel = [1, -1] + [1] * (len(shape) - 2)
    return y * paddle.reshape(paddle.cast(scale, x.dtype), channel) + paddle.reshape(paddle.cast(bias, x.dtype), channel)
"""


@op("LRN", dtypes=_NORM_DTYPES)
def lrn(n):
    """nn.functional.local_response_norm (ONNX's alpha is divided by size, as Paddle's is)"""
    size, alpha, beta, bias = lrn_args(n)
    return f"nn.functional.local_response_norm({n.x(0)}, {size}, alpha={alpha!r}, beta={beta!r}, k={bias!r})"


@op("LpNormalization", dtypes=_NORM_DTYPES)
def lp_normalization(n):
    """x / ||x||_p along axis (0 where the norm is 0)"""
    axis, p = lp_norm_args(n)
    x = n.x(0)
    norm = n.tmp("norm")
    n.stmt(f"{norm} = paddle.norm({x}, p={p}, axis={axis}, keepdim=True)")
    return f"paddle.where({norm} == 0, paddle.zeros_like({x}), {x} / {norm})"


@op("MeanVarianceNormalization", dtypes=_NORM_DTYPES)
def mean_variance_normalization(n):
    """(x - mean) / sqrt(var) over axes (default [0, 2, 3]; ONNX's function adds epsilon 1e-9)"""
    axes = mean_variance_axes(n)
    x = n.x(0)
    mean = n.tmp("mean")
    n.stmt(f"{mean} = paddle.mean({x}, axis={axes}, keepdim=True)")
    var = f"paddle.mean(paddle.square({x}), axis={axes}, keepdim=True) - paddle.square({mean})"
    return f"({x} - {mean}) / (paddle.sqrt({var}) + 1e-09)"
