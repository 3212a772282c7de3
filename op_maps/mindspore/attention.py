"""Attention and RotaryEmbedding (opset 23+): each operator's definition as one helper in MindSpore's calls."""

from porter.attention_semantics import attention_call
from porter.op_maps._rotary import rotary_call
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


# RotaryEmbedding's helper needs three more calls.
ROTARY_VOCAB = {
    "transpose": VOCAB["transpose"],
    "reshape": VOCAB["reshape"],
    "concat": VOCAB["concat"],
    "gather": "ops.gather",
    "unsqueeze": "ops.unsqueeze",
    "stack": "ops.stack",
}


@op("RotaryEmbedding", dtypes={"float32", "float16"})
def rotary_embedding(n):
    """ONNX's definition step by step (3-D or 4-D input, position_ids, rotary_embedding_dim, interleaved)"""
    return rotary_call(n, ROTARY_VOCAB)
