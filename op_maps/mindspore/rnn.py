"""Recurrent layers: LSTM, GRU and RNN. The framework's own layer (weights converted to its gate order at
convert time) where it computes what ONNX specifies; every other attribute combination in ONNX's exact
unrolled form."""

from porter.op_maps.mindspore._registry import op
from porter.semantics.rnn import register_recurrences, vocabulary

# The unrolled helper's vocabulary: MindSpore's names for the calls it makes.
VOCAB = vocabulary("ops", clip="ops.clamp", unsqueeze="ops.expand_dims")
_LAYERS = {"LSTM": "nn.LSTM", "GRU": "nn.GRU", "RNN": "nn.RNN"}


def _layer(rec, params) -> str:
    nonlinearity = "nonlinearity='tanh', " if rec.kind == "RNN" else ""
    return (
        f"{_LAYERS[rec.kind]}({params['weight_ih_l0'].shape[1]}, {rec.hidden}, num_layers=1, {nonlinearity}"
        f"has_bias=True, batch_first={rec.layout == 1}, dropout=0.0, bidirectional={rec.directions == 2})"
    )


register_recurrences(op, VOCAB, _layer, __name__)
