"""Attention and RotaryEmbedding (opset 23+): each operator's definition as one helper in Paddle's calls."""

from porter.attention_semantics import attention_call
from porter.op_maps._rotary import rotary_call
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


# RotaryEmbedding's helper needs three more calls.
ROTARY_VOCAB = {
    "transpose": VOCAB["transpose"],
    "reshape": VOCAB["reshape"],
    "concat": VOCAB["concat"],
    "gather": "paddle.gather",
    "unsqueeze": "paddle.unsqueeze",
    "stack": "paddle.stack",
}


@op("RotaryEmbedding", dtypes={"float32", "float64"})
def rotary_embedding(n):
    """ONNX's definition step by step (3-D or 4-D input, position_ids, rotary_embedding_dim, interleaved)"""
    return rotary_call(n, ROTARY_VOCAB)
