"""Matrix products: MatMul, Gemm, Einsum, Det, MatMulInteger, ConvInteger.

Gemm with a constant weight (and alpha = beta = 1) becomes nn.Linear, the weight transposed to
Paddle's [in, out] layout; MatMul by a constant 2-D weight becomes a bias-free nn.Linear (float16 and
bfloat16 ones hold their weights in that dtype and compute through float32).
"""

from porter.op_maps.paddle._registry import op
from porter.op_maps.paddle.elementwise import widened
from porter.semantics import spatial_params
from porter.semantics.matmul import gemm_args

_MATMUL_DTYPES = {"float16", "bfloat16", "float32", "float64", "int32", "int64"}


_WIDENED_LINEAR = """
class WidenedLinear(nn.Linear):
    \"\"\"nn.Linear holding float16/bfloat16 weights, computed in float32 (Paddle's CPU has no half-precision
    matmul) and rounded back once, the bias added before the rounding as torch's Linear does.\"\"\"

    def forward(self, x):
        bias = None if self.bias is None else paddle.cast(self.bias, 'float32')
        out = nn.functional.linear(paddle.cast(x, 'float32'), paddle.cast(self.weight, 'float32'), bias)
        return paddle.cast(out, x.dtype)
"""


@op("MatMul", dtypes=_MATMUL_DTYPES)
def matmul(n):
    """paddle.matmul (numpy semantics), or nn.Linear for a constant 2-D weight (with the bias the next Add
    adds, when that is torch's Linear split in two)"""
    weight = n.const(1)
    dtype = None if weight is None else weight.dtype.name
    half = dtype in ("float16", "bfloat16") and n.in_dtype(0) == dtype
    if (dtype in ("float32", "float64") or half) and weight.ndim == 2 and n.in_rank(0) not in (None, 1):
        params, names = {"weight": weight}, {"weight": n.input_source_name(1) or "weight"}
        fused = n.fused_bias()
        if fused is not None:
            params["bias"], names["bias"] = fused[0], fused[1] or "bias"
        ctor = f"nn.Linear({weight.shape[0]}, {weight.shape[1]}{'' if fused is not None else ', bias_attr=False'})"
        if half:
            # a half-precision model's Linear keeps its weights in their dtype, in the layer and in the file
            # (a 7B bfloat16 model stays 14 GB, not 28); Paddle's CPU has no float16/bfloat16 matmul
            n.warn(f"{dtype} Linear layers compute through float32 and round back (Paddle's CPU kernels lack {dtype})")
            ctor = f"{n.helper('WidenedLinear', _WIDENED_LINEAR)}{ctor[len('nn.Linear') :]}.to(dtype={n.dtype(dtype)})"
        return f"{n.layer(n.layer_hint(1), ctor, params, names)}({n.x(0)})"
    return widened(n, [n.x(0), n.x(1)], n.in_dtype(0), lambda a, b: f"paddle.matmul({a}, {b})")


@op("Gemm", dtypes=_MATMUL_DTYPES)
def gemm(n):
    """alpha * A' @ B' + beta * C; nn.Linear when B is a constant weight"""
    g = gemm_args(n)
    a = n.x(0)
    if g.trans_a:
        a = f"paddle.t({a})"
    linear = g.linear(n)
    if linear is not None:
        weight, bias = linear
        # Paddle's Linear weight is [in, out]: a transposed view, transposed as it is written out
        w = weight.T if g.trans_b else weight
        params = {"weight": w}
        names = {"weight": n.input_source_name(1) or "weight"}
        transforms = {"weight": "transpose"} if g.trans_b else {}
        if bias is not None:
            params["bias"] = bias
            names["bias"] = n.input_source_name(2) or "bias"
        ctor = f"nn.Linear({w.shape[0]}, {w.shape[1]}" + ("" if bias is not None else ", bias_attr=False") + ")"
        layer = n.layer(n.layer_hint(1), ctor, params, names, transforms)
        return f"{layer}({a})"
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
