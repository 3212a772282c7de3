"""The target-neutral reading of QuantizeLinear / DequantizeLinear (op_maps/<target>/quant.py): axis and
block size by opset, the output type and its saturation range, and the refusals."""

from __future__ import annotations

from porter.dtypes import onnx_dtype_name

RANGES = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767), "int32": (-(2**31), 2**31 - 1)}


def axis_and_block(n) -> tuple[int, int]:
    """(axis of a per-axis scale, block size or 0): axis from opset 13 (1 before), blocks from opset 21."""
    axis = int(n.attr("axis", 1)) if n.since >= 13 else 1
    block = int(n.attr("block_size", 0)) if n.since >= 21 else 0
    return axis, block


def check_dequantize_output(n) -> None:
    """DequantizeLinear's output_dtype (opset 23) must be the scale's dtype."""
    if n.since >= 23:
        out = n.attr("output_dtype", 0)
        if out and onnx_dtype_name(out) != n.in_dtype(1):
            n.refuse("output_dtype different from the scale's dtype is not supported")


def quantize_output(n) -> tuple[str, int, int]:
    """QuantizeLinear's (output dtype, lowest, highest value it saturates to): the zero point's dtype, or
    output_dtype (opset 21), uint8 by default."""
    if n.since >= 19:
        n.ignore_attr("saturate", "only affects float8 outputs, which are refused")
    if n.since >= 25 and n.attr("precision", 0):
        n.refuse("a non-default `precision` attribute is not supported")
    out = n.in_dtype(2) if n.has_input(2) else None
    if n.since >= 21 and n.attr("output_dtype", 0):
        out = onnx_dtype_name(n.attr("output_dtype", 0))
    out = out or "uint8"
    if out not in RANGES:
        n.refuse(f"quantizing to {out} is not supported")
    return out, *RANGES[out]
