"""ONNX Script bodies of porter's translations (porter/frontends/torch_translations.py says which torch
op each translates and why it is exact). Imported only while exporting: it needs onnxscript, and
ONNX Script reads these functions' source, so they live at module level with real annotations."""

from onnxscript import FLOAT, INT32, script
from onnxscript import opset18 as op

INT64 = 7  # onnx.TensorProto.INT64, for Cast


@script()
def grouped_mm_fallback(input: FLOAT, weight: FLOAT, offs: INT32) -> FLOAT:
    rows = op.Squeeze(op.Shape(input, start=0, end=1))
    row = op.Unsqueeze(op.Range(op.Constant(value_int=0), rows, op.Constant(value_int=1)), [1])
    ends = op.Unsqueeze(op.Cast(offs, to=INT64), [0])
    expert = op.ReduceSum(op.Cast(op.LessOrEqual(ends, row), to=INT64), [1], keepdims=0)
    per_row = op.Gather(weight, expert, axis=0)
    return op.Squeeze(op.MatMul(op.Unsqueeze(input, [1]), per_row), [1])
