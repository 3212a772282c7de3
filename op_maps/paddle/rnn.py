"""Recurrent layers: LSTM, GRU and RNN, every ONNX attribute, in ONNX's exact unrolled form."""

from porter.op_maps.paddle._registry import op
from porter.rnn_semantics import unrolled

# The unrolled helper's vocabulary: Paddle's names for the calls it makes.
VOCAB = {
    "matmul": "paddle.matmul",
    "transpose": "paddle.transpose",
    "zeros": "paddle.zeros",
    "zeros_like": "paddle.zeros_like",
    "clip": "paddle.clip",
    "where": "paddle.where",
    "unsqueeze": "paddle.unsqueeze",
    "stack": "paddle.stack",
    "sigmoid": "nn.functional.sigmoid",
    "tanh": "paddle.tanh",
    "relu": "nn.functional.relu",
    "exp": "paddle.exp",
    "log": "paddle.log",
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
