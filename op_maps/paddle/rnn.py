"""Recurrent layers: LSTM, GRU and RNN. The framework's own layer (weights converted to its gate order at
convert time) where it computes what ONNX specifies; every other attribute combination in ONNX's exact
unrolled form."""

from porter.op_maps.paddle._registry import op
from porter.rnn_semantics import layer_outputs, layer_params, read_recurrence, unrolled

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
    "reshape": "paddle.reshape",
    "sigmoid": "nn.functional.sigmoid",
    "tanh": "paddle.tanh",
    "relu": "nn.functional.relu",
    "exp": "paddle.exp",
    "log": "paddle.log",
}
_DTYPES = {"float32", "float64"}
_LAYERS = {"LSTM": "nn.LSTM", "GRU": "nn.GRU", "RNN": "nn.SimpleRNN"}


def _recurrent(n):
    rec = read_recurrence(n)
    params = layer_params(n, rec)
    if params is None:
        return unrolled(n, VOCAB)
    direction = "bidirect" if rec.directions == 2 else "forward"
    activation = ", activation='tanh'" if rec.kind == "RNN" else ""
    ctor = (
        f"{_LAYERS[rec.kind]}({params['weight_ih_l0'].shape[1]}, {rec.hidden}, num_layers=1, "
        f"direction={direction!r}, time_major={rec.layout == 0}, dropout=0.0{activation})"
    )
    # Paddle's state_dict lists each parameter twice (weight_ih_l0 and its cell's 0.cell_fw.weight_ih, one
    # tensor): both names are written so that loading finds every key it expects and warns about none
    cells = ["cell"] if rec.directions == 1 else ["cell_fw", "cell_bw"]
    for d, cell in enumerate(cells):
        suffix = "_reverse" if d else ""
        for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            params[f"0.{cell}.{kind}"] = params[f"{kind}_l0{suffix}"]
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
