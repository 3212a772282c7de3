"""Matrix products: MatMul, Gemm, Einsum, Det, MatMulInteger, ConvInteger.

A MatMul or Gemm by a constant 2-D weight becomes a Linear layer holding the weight as the source holds it,
so nothing is transposed at convert time and a PyTorch checkpoint loads as it is: PyTorch's [out, in] layout
(Gemm transB=1, or the weights torch.onnx pre-transposed) in `paddle.compat.nn.Linear`, Paddle's own
[in, out] in `nn.Linear`. A MatMul's Linear takes the bias the next Add adds; float16 and bfloat16 Linear
layers hold their weights in that dtype and compute through float32.
"""

from porter.op_maps.paddle._registry import op
from porter.op_maps.paddle.elementwise import widened
from porter.semantics import spatial_params
from porter.semantics.matmul import gemm_args

_MATMUL_DTYPES = {"float16", "bfloat16", "float32", "float64", "int32", "int64"}

# (class, its functional linear) for each weight layout: torch's [out, in] and Paddle's [in, out]
_LINEAR = {
    True: ("paddle.compat.nn.Linear", "paddle.compat.nn.functional.linear"),
    False: ("nn.Linear", "nn.functional.linear"),
}

_WIDENED = """
class {name}({base}):
    \"\"\"{base} holding float16/bfloat16 weights, computed in float32 (Paddle's CPU has no half-precision
    matmul) and rounded back once, the bias added before the rounding as torch's Linear does.\"\"\"

    def forward(self, x):
        bias = None if self.bias is None else paddle.cast(self.bias, 'float32')
        out = {linear}(paddle.cast(x, 'float32'), paddle.cast(self.weight, 'float32'), bias)
        return paddle.cast(out, x.dtype)
"""


def _linear_layer(n, weight, onnx_out_in: bool, bias, bias_name) -> str:
    """A Linear layer for constant weight input 1, held in the source's layout; returns the layer's call.

    `onnx_out_in`: the ONNX tensor is [out, in] (Gemm transB=1). The source holds it transposed from that
    when torch.onnx pre-transposed it (`n.source_holds_transposed`). Under `--linear-layout framework` every
    Linear is nn.Linear, [in, out]: Paddle's CPU inference fuses its matmul and bias, not the compat layer's
    transposed matmul (bench/README.md)."""
    torch_layout = onnx_out_in != n.source_holds_transposed(1) and n.linear_layout == "source"
    held = weight if onnx_out_in == torch_layout else weight.T  # a view: written out tile by tile
    in_features, out_features = (held.shape[1], held.shape[0]) if torch_layout else held.shape
    params, names = {"weight": held}, {"weight": n.input_source_name(1) or "weight"}
    if bias is not None:
        params["bias"], names["bias"] = bias, bias_name or "bias"
    layer_class, functional = _LINEAR[torch_layout]
    no_bias = "bias=False" if torch_layout else "bias_attr=False"
    arguments = f"{in_features}, {out_features}" + ("" if bias is not None else f", {no_bias}")
    ctor = f"{layer_class}({arguments})"
    dtype = weight.dtype.name
    if dtype in ("float16", "bfloat16"):
        # a half-precision model's Linear keeps its weights in their dtype, in the layer and in the file
        # (a 7B bfloat16 model stays 14 GB, not 28); Paddle's CPU has no float16/bfloat16 matmul
        n.warn(f"{dtype} Linear layers compute through float32 and round back (Paddle's CPU kernels lack {dtype})")
        name = "WidenedTorchLinear" if torch_layout else "WidenedLinear"
        n.helper(name, _WIDENED.format(name=name, base=layer_class, linear=functional))
        ctor = f"{name}({arguments}).to(dtype={n.dtype(dtype)})"
    transforms = {} if held is weight else {"weight": "transpose"}
    return n.layer(n.layer_hint(1), ctor, params, names, transforms)


@op("MatMul", dtypes=_MATMUL_DTYPES)
def matmul(n):
    """paddle.matmul (numpy semantics), or a Linear layer for a constant 2-D weight (with the bias the next Add
    adds, when that is torch's Linear split in two)"""
    weight = n.const(1)
    dtype = None if weight is None else weight.dtype.name
    half = dtype in ("float16", "bfloat16") and n.in_dtype(0) == dtype
    if (dtype in ("float32", "float64") or half) and weight.ndim == 2 and n.in_rank(0) not in (None, 1):
        fused = n.fused_bias()
        bias, bias_name = fused if fused is not None else (None, None)
        return f"{_linear_layer(n, weight, False, bias, bias_name)}({n.x(0)})"
    return widened(n, [n.x(0), n.x(1)], n.in_dtype(0), lambda a, b: f"paddle.matmul({a}, {b})")


@op("Gemm", dtypes=_MATMUL_DTYPES)
def gemm(n):
    """alpha * A' @ B' + beta * C; a Linear layer when B is a constant weight"""
    g = gemm_args(n)
    a = n.x(0)
    if g.trans_a:
        a = f"paddle.t({a})"
    linear = g.linear(n)
    if linear is not None:
        weight, bias = linear
        bias_name = n.input_source_name(2) if bias is not None else None
        return f"{_linear_layer(n, weight, g.trans_b, bias, bias_name)}({a})"
    b = n.x(1)
    if g.trans_b:
        b = f"paddle.t({b})"
    return g.scaled_sum(n, widened(n, [a, b], n.in_dtype(0), lambda x, y: f"paddle.matmul({x}, {y})"))


@op("Einsum", dtypes={"float16", "bfloat16", "float32", "float64", "int32", "int64"})
def einsum(n):
    """paddle.einsum"""
    equation = n.attr("equation").replace(" ", "")
    if not all(ch.isalpha() or ch in ",->." for ch in equation):
        n.refuse(f"unexpected characters in equation {equation!r}")
    return widened(n, n.xs(), n.in_dtype(0), lambda *xs: f"paddle.einsum({equation!r}, {', '.join(xs)})")


@op("Det", dtypes={"float32", "float64"})
def det(n):
    """paddle.linalg.det"""
    return f"paddle.linalg.det({n.x(0)})"


def _zero_point(n, i: int) -> str:
    if not n.has_input(i):
        return "0"
    return f"paddle.cast({n.x(i)}, 'int32')"


@op("MatMulInteger", dtypes={"int8", "uint8"})
def matmul_integer(n):
    """(A - a_zero) @ (B - b_zero) accumulated exactly in int32"""
    a = f"(paddle.cast({n.x(0)}, 'int32') - {_zero_point(n, 2)})"
    b = f"(paddle.cast({n.x(1)}, 'int32') - {_zero_point(n, 3)})"
    za = n.const(2) if n.has_input(2) else None
    if za is not None and za.ndim == 1 and za.size > 1:
        a = f"(paddle.cast({n.x(0)}, 'int32') - paddle.unsqueeze(paddle.cast({n.x(2)}, 'int32'), -1))"
    return f"paddle.matmul({a}, {b})"


@op("ConvInteger", dtypes={"int8", "uint8"})
def conv_integer(n):
    """integer convolution computed exactly in float64, then cast to int32"""
    kernel = n.in_shape(1)
    if kernel is None or len(kernel) != 4:
        n.refuse("only 2-D ConvInteger with a static weight shape is supported")
    in_shape = n.in_shape(0)
    strides, dilations, pads = spatial_params(
        n, list(n.attr("kernel_shape", kernel[2:])), None if in_shape is None else in_shape[2:]
    )
    group = int(n.attr("group", 1))
    if any(pads):
        # The node suite's expected output for padded ConvInteger is not the zero-point-padded result
        # onnxruntime computes; refuse rather than pick one silently.
        n.refuse("padded ConvInteger is not supported (the padding value with a zero point is ambiguous)")
    x = f"(paddle.cast({n.x(0)}, 'float64') - {_zp64(n, 2)})"
    w = f"(paddle.cast({n.x(1)}, 'float64') - {_zp64(n, 3)})"
    padding = [[0, 0], [0, 0], [pads[0], pads[2]], [pads[1], pads[3]]]
    return (
        f"paddle.cast(paddle.round(nn.functional.conv2d({x}, {w}, stride={strides}, padding={padding}, "
        f"dilation={dilations}, groups={group})), 'int32')"
    )


def _zp64(n, i: int) -> str:
    if not n.has_input(i):
        return "0"
    return f"paddle.cast({n.x(i)}, 'float64')"
