"""Quantization for MindSpore: QuantizeLinear, DequantizeLinear (per-tensor, per-axis), DynamicQuantizeLinear.
Rounding is half-to-even and results saturate to the output type's range."""

from porter.op_maps.mindspore._registry import op
from porter.semantics.quant import axis_and_block, check_dequantize_output, quantize_output

_PARAM = """
def _quant_param(param, x, axis):
    # a scalar, or one value per slice along `axis`
    if param.ndim == 0 or param.size == 1:
        return param.reshape(())
    shape = [1] * x.ndim
    shape[axis % x.ndim] = -1
    return ops.reshape(param, tuple(shape))
"""

_ROUND = """
def _round_half_even_q(x):
    up = ops.floor(x + 0.5)
    tie_to_odd = ops.logical_and(up - x == 0.5, ops.floor_mod(up, 2.0) != 0)
    return ops.where(tie_to_odd, up - 1, up)
"""


def _axis(n) -> int:
    axis, block = axis_and_block(n)
    if block:
        n.refuse("blocked quantization is not mapped for MindSpore yet")
    return axis


@op("DequantizeLinear", dtypes={"int8", "uint8", "int16", "int32"})
def dequantize_linear(n):
    """(x - zero_point) * scale in the scale's dtype"""
    axis = _axis(n)
    check_dequantize_output(n)
    helper = n.helper("_quant_param", _PARAM)
    x = n.x(0)
    value = f"ops.cast({x}, mindspore.float32)"
    if n.has_input(2):
        value = f"({value} - ops.cast({helper}({n.x(2)}, {x}, {axis}), mindspore.float32))"
    scale = f"ops.cast({helper}({n.x(1)}, {x}, {axis}), mindspore.float32)"
    return f"ops.cast({value} * {scale}, {n.dtype(n.in_dtype(1) or 'float32')})"


@op("QuantizeLinear", dtypes={"float32", "float16"})
def quantize_linear(n):
    """saturate(round_half_even(x / scale) + zero_point)"""
    axis = _axis(n)
    out, lo, hi = quantize_output(n)
    helper, rounding = n.helper("_quant_param", _PARAM), n.helper("_round_half_even_q", _ROUND)
    x = n.x(0)
    q = f"{rounding}(ops.cast({x}, mindspore.float32) / ops.cast({helper}({n.x(1)}, {x}, {axis}), mindspore.float32))"
    if n.has_input(2):
        q = f"{q} + ops.cast({helper}({n.x(2)}, {x}, {axis}), mindspore.float32)"
    return f"ops.cast(ops.clamp({q}, {lo}.0, {hi}.0), {n.dtype(out)})"


_DYNAMIC = """
def _dynamic_quantize(x):
    lo = ops.minimum(ops.amin(x), 0.0)
    hi = ops.maximum(ops.amax(x), 0.0)
    scale = (hi - lo) / 255.0
    zero_point = ops.clamp(ROUND(-lo / scale), 0.0, 255.0)
    y = ops.clamp(ROUND(x / scale) + zero_point, 0.0, 255.0)
    return ops.cast(y, mindspore.uint8), scale, ops.cast(zero_point, mindspore.uint8)
"""


@op("DynamicQuantizeLinear", dtypes={"float32"})
def dynamic_quantize_linear(n):
    """uint8 quantization with scale and zero point from the data range (including 0)"""
    rounding = n.helper("_round_half_even_q", _ROUND)
    return f"{n.helper('_dynamic_quantize', _DYNAMIC.replace('ROUND', rounding))}({n.x(0)})"
