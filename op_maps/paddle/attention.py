"""Attention (opset 23+): the operator's definition as one helper in Paddle's calls."""

from porter.attention_semantics import attention_call
from porter.op_maps.paddle._registry import op

# The helper's vocabulary: Paddle's names for the calls it makes.
VOCAB = {
    "transpose": "paddle.transpose",
    "reshape": "paddle.reshape",
    "concat": "paddle.concat",
    "zeros": "paddle.zeros",
    "where": "paddle.where",
    "arange": "paddle.arange",
    "logical_and": "paddle.logical_and",
    "repeat_interleave": "paddle.repeat_interleave",
    "matmul": "paddle.matmul",
    "tanh": "paddle.tanh",
    "cast": "paddle.cast",
    "softmax": "nn.functional.softmax",
    "rowmax": "paddle.max",
}


@op("Attention", dtypes={"float32", "float64"})
def attention(n):
    """ONNX's definition step by step (masks, cache, GQA, softcap, windows, qk outputs)"""
    return attention_call(n, VOCAB)
