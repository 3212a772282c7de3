"""Recurrent layers: LSTM, GRU and RNN. The framework's own layer (weights converted to its gate order at
convert time) where it computes what ONNX specifies; every other attribute combination in ONNX's exact
unrolled form."""

from porter.op_maps.mindspore._registry import op
from porter.rnn_semantics import layer_outputs, layer_params, read_recurrence, unrolled

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
    "reshape": "ops.reshape",
    "sigmoid": "ops.sigmoid",
    "tanh": "ops.tanh",
    "relu": "ops.relu",
    "exp": "ops.exp",
    "log": "ops.log",
}
_DTYPES = {"float32", "float64"}
_LAYERS = {"LSTM": "nn.LSTM", "GRU": "nn.GRU", "RNN": "nn.RNN"}


def _recurrent(n):
    rec = read_recurrence(n)
    params = layer_params(n, rec)
    if params is None:
        return unrolled(n, VOCAB)
    nonlinearity = "nonlinearity='tanh', " if rec.kind == "RNN" else ""
    ctor = (
        f"{_LAYERS[rec.kind]}({params['weight_ih_l0'].shape[1]}, {rec.hidden}, num_layers=1, {nonlinearity}"
        f"has_bias=True, batch_first={rec.layout == 1}, dropout=0.0, bidirectional={rec.directions == 2})"
    )
    return layer_outputs(n, rec, n.layer(n.layer_hint(1), ctor, params), VOCAB)


@op("LSTM", dtypes=_DTYPES)
def lstm(n):
    """nn.LSTM (weights in its gate order) or the exact unrolled form (peepholes, clip, sequence_lens, ...)"""
    return _recurrent(n)


@op("GRU", dtypes=_DTYPES)
def gru(n):
    """nn.GRU for linear_before_reset=1, else the exact unrolled form (clip, sequence_lens, activations)"""
    return _recurrent(n)


@op("RNN", dtypes=_DTYPES)
def rnn(n):
    """the framework's tanh RNN layer or the exact unrolled form (clip, sequence_lens, any activation)"""
    return _recurrent(n)
