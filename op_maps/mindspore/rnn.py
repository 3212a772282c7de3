"""Recurrent layers: LSTM, GRU and RNN, every ONNX attribute, in ONNX's exact unrolled form."""

from porter.op_maps.mindspore._registry import op
from porter.rnn_semantics import unrolled

# The unrolled helper's vocabulary: MindSpore's names for the calls it makes.
VOCAB = {
    "matmul": "ops.matmul",
    "transpose": "ops.transpose",
    "zeros": "ops.zeros",
    "zeros_like": "ops.zeros_like",
    "clip": "ops.clamp",
    "where": "ops.where",
    "unsqueeze": "ops.expand_dims",
    "stack": "ops.stack",
    "sigmoid": "ops.sigmoid",
    "tanh": "ops.tanh",
    "relu": "ops.relu",
    "exp": "ops.exp",
    "log": "ops.log",
}
_DTYPES = {"float32", "float64"}


@op("LSTM", dtypes=_DTYPES)
def lstm(n):
    """the exact unrolled LSTM (peepholes, clip, input_forget, sequence_lens, any activations)"""
    return unrolled(n, VOCAB)


@op("GRU", dtypes=_DTYPES)
def gru(n):
    """the exact unrolled GRU (linear_before_reset 0 or 1, clip, sequence_lens, any activations)"""
    return unrolled(n, VOCAB)


@op("RNN", dtypes=_DTYPES)
def rnn(n):
    """the exact unrolled simple RNN (clip, sequence_lens, any activation)"""
    return unrolled(n, VOCAB)
