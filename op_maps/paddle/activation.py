"""Activations and softmax-like ops: Relu, Sigmoid, Gelu, Softmax, Dropout (inference), Identity ..."""

from porter.dtypes import FLOATS
from porter.op_maps.paddle._registry import REGISTRY, op
from porter.op_maps.paddle.elementwise import widened
from porter.rows import direct
from porter.semantics import activation as reading
from porter.semantics import dropout_outputs

_F = "nn.functional"


def _row(*args, **kwargs):
    """A direct row computed through float32 for float16/bfloat16 (Paddle's CPU lacks those kernels)."""
    return direct(REGISTRY, *args, wrap=widened, **kwargs)


_row("Relu", f"{_F}.relu", versions=[6, 13, 14], dtypes=FLOATS | {"int8", "int32", "int64"})
_row("Sigmoid", f"{_F}.sigmoid", versions=[6, 13], dtypes=FLOATS)
_row("Softsign", f"{_F}.softsign", dtypes=FLOATS)
_row("Softplus", f"{_F}.softplus", dtypes=FLOATS, kwargs={"beta": "1.0", "threshold": "20.0"})
_row("Mish", f"{_F}.mish", dtypes=FLOATS)
_row("Elu", f"{_F}.elu", versions=[6, 22], attrs={"alpha": ("alpha", reading.ALPHA["Elu"])}, dtypes=FLOATS)
_row("Celu", f"{_F}.celu", attrs={"alpha": ("alpha", reading.ALPHA["Celu"])}, dtypes=FLOATS)
_row(
    "LeakyRelu",
    f"{_F}.leaky_relu",
    versions=[6, 16],
    attrs={"alpha": ("negative_slope", reading.ALPHA["LeakyRelu"])},
    dtypes=FLOATS,
)
_row(
    "ThresholdedRelu",
    f"{_F}.thresholded_relu",
    attrs={"alpha": ("threshold", reading.ALPHA["ThresholdedRelu"])},
    dtypes=FLOATS,
    kwargs={"value": "0.0"},
)
_row("HardSwish", f"{_F}.hardswish", dtypes=FLOATS)


@op("Selu", versions=[6, 22], dtypes=FLOATS)
def selu(n):
    """nn.functional.selu"""
    alpha, gamma = reading.selu_args(n)
    return widened(
        n, [n.x(0)], n.in_dtype(0), lambda x: f"nn.functional.selu({x}, scale={n.lit(gamma)}, alpha={n.lit(alpha)})"
    )


@op("HardSigmoid", versions=[6, 22], dtypes=FLOATS)
def hard_sigmoid(n):
    """nn.functional.hardsigmoid"""
    alpha, beta = reading.hard_sigmoid_args(n)
    return widened(
        n,
        [n.x(0)],
        n.in_dtype(0),
        lambda x: f"nn.functional.hardsigmoid({x}, slope={n.lit(alpha)}, offset={n.lit(beta)})",
    )


def _swish(n, x: str) -> str:
    alpha = reading.activation_alpha(n)
    return f"{x} * nn.functional.sigmoid({x} * {n.lit(alpha)})" if alpha != 1.0 else f"nn.functional.silu({x})"


@op("Swish", dtypes=FLOATS)
def swish(n):
    """x * sigmoid(alpha * x)"""
    return widened(n, [n.x(0)], n.in_dtype(0), lambda x: _swish(n, x))


@op("SwiGLU", dtypes=FLOATS)
def swiglu(n):
    """Swish(a, alpha) * b (a gated linear unit; same shapes, no broadcasting)"""
    return widened(n, [n.x(0), n.x(1)], n.in_dtype(0), lambda a, b: f"{_swish(n, a)} * {b}")


@op("Gelu", dtypes=FLOATS)
def gelu(n):
    """nn.functional.gelu (approximate='none' or 'tanh')"""
    approximate = reading.gelu_approximation(n)
    return widened(
        n, [n.x(0)], n.in_dtype(0), lambda x: f"nn.functional.gelu({x}, approximate={approximate == 'tanh'})"
    )


@op("Shrink", dtypes=FLOATS)
def shrink(n):
    """x + bias below -lambd, x - bias above lambd, 0 between"""
    return reading.shrink_expression(n, "paddle.where", "paddle.zeros_like")


@op("PRelu", versions=[6, 7, 9, 16], dtypes=FLOATS)
def prelu(n):
    """paddle.where(x < 0, slope * x, x) with numpy broadcasting of slope"""
    x, slope = n.x(0), n.x(1)
    return f"paddle.where({x} < 0, {x} * {slope}, {x})"


@op("Identity")
def identity(n):
    """the input itself"""
    return n.x(0)


def _softmax_like(n, fn: str) -> str:
    """Softmax/LogSoftmax/Hardmax: from opset 13 along `axis`; before, over the flattened [axis:] block."""
    return widened(n, [n.x(0)], n.in_dtype(0), lambda x: _softmax_axis(n, fn, x))


def _softmax_axis(n, fn: str, x: str) -> str:
    axis, coerced = reading.softmax_axis(n)
    if not coerced:
        return fn.format(x=x, axis=axis)
    flat = n.tmp("flat")
    n.stmt(f"{flat} = paddle.flatten({x}, start_axis={axis})" if axis > 0 else f"{flat} = paddle.flatten({x})")
    return f"paddle.reshape({fn.format(x=flat, axis=-1)}, {x}.shape)"


@op("Softmax", dtypes=FLOATS)
def softmax(n):
    """nn.functional.softmax"""
    return _softmax_like(n, "nn.functional.softmax({x}, axis={axis})")


@op("LogSoftmax", dtypes=FLOATS)
def log_softmax(n):
    """nn.functional.log_softmax"""
    return _softmax_like(n, "nn.functional.log_softmax({x}, axis={axis})")


_HARDMAX = """
def _hardmax(x, axis):
    # ONNX Hardmax: 1 at the first maximum along axis, 0 elsewhere, in x's dtype.
    hot = nn.functional.one_hot(paddle.argmax(x, axis=axis), x.shape[axis])
    return paddle.cast(paddle.moveaxis(hot, -1, axis), x.dtype)
"""


@op("Hardmax", dtypes=FLOATS)
def hardmax(n):
    """one-hot of the first maximum along axis"""
    helper = n.helper("_hardmax", _HARDMAX)
    return _softmax_like(n, helper + "({x}, {axis})")


@op("Dropout", dtypes=FLOATS)
def dropout(n):
    """inference: the input unchanged, mask all true; nn.functional.dropout following train()/eval() in a
    port converted for training"""
    return dropout_outputs(n, "nn.functional.dropout", _ones)


def _ones(x: str, as_bool: bool) -> str:
    return f"paddle.ones_like({x}, dtype={repr('bool') if as_bool else x + '.dtype'})"
