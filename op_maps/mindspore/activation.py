"""MindSpore activations: Relu, Sigmoid, Elu, Gelu, the softmaxes, Mish, ThresholdedRelu, ... (docs/operators.md)."""

import numpy as np

from porter.op_maps.mindspore._registry import REGISTRY, op
from porter.op_maps.mindspore.elementwise import widened
from porter.rows import direct
from porter.semantics import activation as reading
from porter.semantics import dropout_outputs

_F = {"float32", "float64", "float16"}

direct(REGISTRY, "Relu", "ops.relu", versions=[6, 13, 14], dtypes=_F)
# no bfloat16 Sigmoid kernel on CPU: through float32 (elementwise.widened)
direct(REGISTRY, "Sigmoid", "ops.sigmoid", versions=[6, 13], dtypes=_F | {"bfloat16"}, wrap=widened)
direct(REGISTRY, "Softsign", "ops.softsign", dtypes={"float32", "float16"})
direct(REGISTRY, "HardSwish", "ops.hardswish", dtypes=_F)


@op("LeakyRelu", versions=[6, 16], dtypes=_F)
def leaky_relu(n):
    """ops.leaky_relu"""
    return f"ops.leaky_relu({n.x(0)}, alpha={reading.activation_alpha(n)!r})"


@op("Elu", versions=[6, 22], dtypes=_F)
def elu(n):
    """x if x > 0 else alpha * (exp(x) - 1)"""
    alpha = reading.activation_alpha(n)
    x = n.x(0)
    return f"ops.where({x} > 0, {x}, {alpha!r} * (ops.exp({x}) - 1))"


@op("Selu", versions=[6, 22], dtypes=_F)
def selu(n):
    """gamma * (x if x > 0 else alpha * (exp(x) - 1))"""
    alpha, gamma = reading.selu_args(n)
    x = n.x(0)
    return f"{gamma!r} * ops.where({x} > 0, {x}, {alpha!r} * (ops.exp({x}) - 1))"


@op("Softplus", dtypes=_F)
def softplus(n):
    """log(1 + exp(x)), computed stably"""
    x = n.x(0)
    return f"ops.maximum({x}, ops.zeros_like({x})) + ops.log1p(ops.exp(-ops.abs({x})))"


@op("HardSigmoid", versions=[6, 22], dtypes=_F)
def hard_sigmoid(n):
    """clip(alpha * x + beta, 0, 1)"""
    alpha, beta = reading.hard_sigmoid_args(n)
    return f"ops.clamp({alpha!r} * {n.x(0)} + {beta!r}, 0.0, 1.0)"


@op("Gelu", dtypes=_F)
def gelu(n):
    """ops.gelu (approximate='none' or 'tanh', passed explicitly: MindSpore's default is tanh)"""
    return f"ops.gelu({n.x(0)}, approximate={reading.gelu_approximation(n)!r})"


@op("Gelu", dtypes=_F, device="ascend")
def gelu_ascend(n):
    """mindspore.mint.nn.functional.gelu: Ascend's fused kernel (mint kernels are not registered on CPU)"""
    return f"mindspore.mint.nn.functional.gelu({n.x(0)}, approximate={reading.gelu_approximation(n)!r})"


@op("PRelu", versions=[6, 7, 9, 16], dtypes=_F)
def prelu(n):
    """where(x < 0, slope * x, x) with numpy broadcasting of slope"""
    x, slope = n.x(0), n.x(1)
    return f"ops.where({x} < 0, {x} * {slope}, {x})"


_LOG_SOFTMAX = """
def _log_softmax(x, axis):
    shifted = x - ops.amax(x, axis=axis, keepdims=True)
    return shifted - ops.log(ops.sum(ops.exp(shifted), dim=axis, keepdim=True))
"""


@op("LogSoftmax", dtypes=_F | {"bfloat16"})
def log_softmax(n):
    """x - max - log(sum(exp(x - max))) along axis (opset < 13: over the flattened trailing block)"""
    return _along_axis(n, n.helper("_log_softmax", _LOG_SOFTMAX))


@op("Identity")
def identity(n):
    """the input itself"""
    return n.x(0)


_SOFTMAX = """
def _softmax(x, axis):
    # ONNX's definition, written out: ops.softmax returns 0 for a row of -inf on CPU where ONNX gives NaN.
    shifted = x - ops.amax(x, axis=axis, keepdims=True)
    e = ops.exp(shifted)
    return e / ops.sum(e, dim=axis, keepdim=True)
"""


def _along_axis(n, helper: str) -> str:
    """helper(x, axis) from opset 13; before, over the input flattened to 2-D at `axis` (static shape).
    bfloat16 through float32, rounded once (the CPU's exp, amax and sum lack bfloat16)."""
    axis, coerced = reading.softmax_axis(n)
    if not coerced:
        return widened(n, [n.x(0)], n.in_dtype(0), lambda x: f"{helper}({x}, {axis})")
    shape = n.in_shape(0)
    if any(not isinstance(d, int) for d in shape):
        n.refuse("opset < 13 needs a static input shape to flatten at `axis`")
    flat = (-1, int(np.prod(shape[axis:]))) if axis else (1, -1)

    def along(x: str) -> str:
        return f"ops.reshape({helper}(ops.reshape({x}, {flat!r}), -1), {tuple(shape)!r})"

    return widened(n, [n.x(0)], n.in_dtype(0), along)


@op("Softmax", dtypes=_F | {"bfloat16"})
def softmax(n):
    """exp(x - max) / sum(exp(x - max)) along axis (opset < 13: over the flattened trailing block)"""
    return _along_axis(n, n.helper("_softmax", _SOFTMAX))


@op("Dropout")
def dropout(n):
    """inference: the input unchanged; ops.dropout following set_train() in a port converted for training"""
    return dropout_outputs(
        n, "ops.dropout", lambda x, as_bool: f"ops.ones_like({x})" + (".astype(mindspore.bool_)" if as_bool else "")
    )


_HARDMAX = """
def _hardmax(x, axis):
    # 1 at the first maximum along axis, 0 elsewhere, in x's dtype
    index = ops.argmax(x, dim=axis, keepdim=True)
    positions = ops.arange(x.shape[axis]).reshape(tuple(-1 if i == axis % x.ndim else 1 for i in range(x.ndim)))
    return (positions == index).astype(x.dtype)
"""


@op("Hardmax", dtypes={"float32", "float64", "float16"})
def hardmax(n):
    """one-hot of the first maximum along axis (opset < 13: over the flattened trailing block)"""
    return _along_axis(n, n.helper("_hardmax", _HARDMAX))


def _swish(n, x: str) -> str:
    alpha = reading.activation_alpha(n)
    return f"{x} * ops.sigmoid({x} * {n.lit(alpha)})" if alpha != 1.0 else f"{x} * ops.sigmoid({x})"


@op("Swish", dtypes=_F | {"bfloat16"})
def swish(n):
    """x * sigmoid(alpha * x); bfloat16 through float32, rounded once as torch's silu does"""
    return widened(n, [n.x(0)], n.in_dtype(0), lambda x: _swish(n, x))


@op("SwiGLU", dtypes=_F | {"bfloat16"})
def swiglu(n):
    """Swish(a, alpha) * b (a gated linear unit; same shapes, no broadcasting)"""
    return widened(n, [n.x(0), n.x(1)], n.in_dtype(0), lambda a, b: f"{_swish(n, a)} * {b}")


@op("Shrink", dtypes=_F)
def shrink(n):
    """x + bias below -lambd, x - bias above lambd, 0 between"""
    return reading.shrink_expression(n, "ops.where", "ops.zeros_like")


@op("Celu", dtypes={"float32", "float16"})
def celu(n):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))"""
    alpha = reading.activation_alpha(n)
    x = n.x(0)
    return f"ops.where({x} > 0, {x}, {n.lit(alpha)} * (ops.exp({x} / {n.lit(alpha)}) - 1))"


@op("Mish", versions=[18, 22], dtypes=_F)
def mish(n):
    """x * tanh(softplus(x)), softplus written stably (ops.mish is not registered for every CPU dtype)"""
    x = n.x(0)
    return f"{x} * ops.tanh(ops.maximum({x}, ops.zeros_like({x})) + ops.log1p(ops.exp(-ops.abs({x}))))"


@op("ThresholdedRelu", versions=[10, 22], dtypes=_F)
def thresholded_relu(n):
    """x where x > alpha, else 0"""
    x = n.x(0)
    return f"ops.where({x} > {n.lit(reading.activation_alpha(n))}, {x}, ops.zeros_like({x}))"
