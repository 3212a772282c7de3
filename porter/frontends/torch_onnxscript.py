"""ONNX Script bodies of porter's translations (porter/frontends/torch_translations.py says which torch
op each translates and why it is exact). Imported only while exporting: it needs onnxscript, and
ONNX Script reads these functions' source, so they live at module level with real annotations."""

from onnxscript import FLOAT, INT32, script
from onnxscript import opset18 as op
from onnxscript.function_libs.torch_lib.tensor_typing import TFloat

INT64 = 7  # onnx.TensorProto.INT64, for Cast


@script()
def grouped_mm_fallback(input: FLOAT, weight: FLOAT, offs: INT32) -> FLOAT:
    rows = op.Squeeze(op.Shape(input, start=0, end=1))
    row = op.Unsqueeze(op.Range(op.Constant(value_int=0), rows, op.Constant(value_int=1)), [1])
    ends = op.Unsqueeze(op.Cast(offs, to=INT64), [0])
    expert = op.ReduceSum(op.Cast(op.LessOrEqual(ends, row), to=INT64), [1], keepdims=0)
    per_row = op.Gather(weight, expert, axis=0)
    return op.Squeeze(op.MatMul(op.Unsqueeze(input, [1]), per_row), [1])


def batch_norm_functional(
    input: TFloat,
    weight: TFloat | None = None,
    bias: TFloat | None = None,
    running_mean: TFloat | None = None,
    running_var: TFloat | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-05,
):
    """aten::_native_batch_norm_legit_functional, traced (a plain function: `training` picks the graph).
    Outputs: y, the batch mean and 1/std torch saves for backward (unused in a forward graph), the new
    running mean and variance (the buffers' update, which torch.onnx drops from the graph's outputs).
    ONNX's momentum weighs the running value: 1 - torch's."""
    channels = op.Shape(input, start=1, end=2)
    if weight is None:
        weight = op.Expand(op.CastLike(op.Constant(value_float=1.0), input), channels)
    if bias is None:
        bias = op.Expand(op.CastLike(op.Constant(value_float=0.0), input), channels)
    axes = [0] + list(range(2, len(input.shape)))
    if not training:
        y = op.BatchNormalization(input, weight, bias, running_mean, running_var, epsilon=eps, momentum=1.0 - momentum)
        rstd = op.Reciprocal(op.Sqrt(op.Add(running_var, op.CastLike(op.Constant(value_float=eps), input))))
        return y, op.Identity(running_mean), rstd, op.Identity(running_mean), op.Identity(running_var)
    y, new_mean, new_var = op.BatchNormalization(
        input, weight, bias, running_mean, running_var, epsilon=eps, momentum=1.0 - momentum, training_mode=1
    )
    mean = op.ReduceMean(input, axes, keepdims=0)
    centered = op.Sub(input, op.ReduceMean(input, axes, keepdims=1))
    var = op.ReduceMean(op.Mul(centered, centered), axes, keepdims=0)
    rstd = op.Reciprocal(op.Sqrt(op.Add(var, op.CastLike(op.Constant(value_float=eps), input))))
    return y, mean, rstd, new_mean, new_var
