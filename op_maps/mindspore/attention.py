"""Attention (opset 23+): the operator's definition as one helper in MindSpore's calls."""

from porter.attention_semantics import attention_call
from porter.op_maps.mindspore._registry import op

# The helper's vocabulary: MindSpore's names for the calls it makes.
VOCAB = {
    "transpose": "ops.transpose",
    "reshape": "ops.reshape",
    "concat": "ops.concat",
    "zeros": "ops.zeros",
    "where": "ops.where",
    "arange": "ops.arange",
    "logical_and": "ops.logical_and",
    "repeat_interleave": "ops.repeat_interleave",
    "matmul": "ops.matmul",
    "tanh": "ops.tanh",
    "cast": "ops.cast",
    "softmax": "ops.softmax",
    "rowmax": "ops.amax",
}


@op("Attention", dtypes={"float32"})
def attention(n):
    """ONNX's definition step by step (masks, cache, GQA, softcap, windows, qk outputs)"""
    return attention_call(n, VOCAB)
