"""Quantization: QuantizeLinear, DequantizeLinear (per-tensor, per-axis, blocked), DynamicQuantizeLinear.

Integer zero points of int8/uint8/int16/int32; float8/int4 types are refused centrally (Paddle has
no such tensors). Rounding is half-to-even and results saturate to the output type's range.
"""

from porter.op_maps.paddle._registry import op
from porter.semantics.quant import axis_and_block, check_dequantize_output, quantize_output

_BROADCAST_PARAM = """
def _quant_param(param, x, axis, block_size):
    # Scale / zero point: a scalar, one value per slice along `axis`, or one per block of `block_size`.
    if param.ndim == 0 or param.size == 1:
        return param.reshape([])
    axis = axis % x.ndim
    if block_size:
        param = paddle.repeat_interleave(param.astype('float32'), block_size, axis=axis)  # no uint8 kernel
        param = paddle.slice(param, [axis], [0], [x.shape[axis]])
        return param
    shape = [1] * x.ndim
    shape[axis] = -1
    return paddle.reshape(param, shape)
"""


@op("DequantizeLinear", dtypes={"int8", "uint8", "int16", "int32"})
def dequantize_linear(n):
    """(x - zero_point) * scale in the scale's dtype"""
    axis, block = axis_and_block(n)
    check_dequantize_output(n)
    helper = n.helper("_quant_param", _BROADCAST_PARAM)
    x = n.x(0)
    scale = f"{helper}({n.x(1)}, {x}, {axis}, {block})"
    value = f"paddle.cast({x}, 'float32')"
    if n.has_input(2):
        value = f"({value} - paddle.cast({helper}({n.x(2)}, {x}, {axis}, {block}), 'float32'))"
    dtype = n.in_dtype(1) or "float32"
    return f"paddle.cast({value} * paddle.cast({scale}, 'float32'), {n.dtype(dtype)})"


@op("QuantizeLinear", dtypes={"float32", "float16", "bfloat16", "int32"})
def quantize_linear(n):
    """saturate(round_half_even(x / scale) + zero_point)"""
    axis, block = axis_and_block(n)
    out, lo, hi = quantize_output(n)
    helper = n.helper("_quant_param", _BROADCAST_PARAM)
    x = n.x(0)
    scale = f"paddle.cast({helper}({n.x(1)}, {x}, {axis}, {block}), 'float32')"
    rounding = n.helper("_round_half_even_q", _ROUND)
    q = f"{rounding}(paddle.cast({x}, 'float32') / {scale})"
    if n.has_input(2):
        q = f"{q} + paddle.cast({helper}({n.x(2)}, {x}, {axis}, {block}), 'float32')"
    return f"paddle.cast(paddle.clip({q}, {lo}, {hi}), {n.dtype(out)})"


_ROUND = """
def _round_half_even_q(x):
    up = paddle.floor(x + 0.5)
    tie_to_odd = (up - x == 0.5) & (paddle.remainder(up, paddle.full_like(up, 2.0)) != 0)
    return paddle.where(tie_to_odd, up - 1, up)
"""


@op("DynamicQuantizeLinear", dtypes={"float32"})
def dynamic_quantize_linear(n):
    """uint8 quantization with scale and zero point computed from the data range (including 0)"""
    rounding = n.helper("_round_half_even_q", _ROUND)
    helper = n.helper("_dynamic_quantize", _DYNAMIC.replace("ROUND", rounding))
    return f"{helper}({n.x(0)})"


_DYNAMIC = """
def _dynamic_quantize(x):
    lo = paddle.minimum(paddle.min(x), paddle.zeros([], dtype=x.dtype))
    hi = paddle.maximum(paddle.max(x), paddle.zeros([], dtype=x.dtype))
    scale = (hi - lo) / 255.0
    zero_point = paddle.clip(ROUND(-lo / scale), 0, 255)
    y = paddle.clip(ROUND(x / scale) + zero_point, 0, 255)
    return paddle.cast(y, 'uint8'), scale, paddle.cast(zero_point, 'uint8')
"""
