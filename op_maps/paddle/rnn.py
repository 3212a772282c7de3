"""Recurrent layers: LSTM, GRU and RNN. The framework's own layer (weights converted to its gate order at
convert time) where it computes what ONNX specifies; every other attribute combination in ONNX's exact
unrolled form."""

from porter.op_maps.paddle._registry import op
from porter.semantics.rnn import register_recurrences, vocabulary

# The unrolled helper's vocabulary: Paddle's names for the calls it makes.
VOCAB = vocabulary("paddle", sigmoid="nn.functional.sigmoid", relu="nn.functional.relu")
_LAYERS = {"LSTM": "nn.LSTM", "GRU": "nn.GRU", "RNN": "nn.SimpleRNN"}


def _layer(rec, params) -> str:
    direction = "bidirect" if rec.directions == 2 else "forward"
    activation = ", activation='tanh'" if rec.kind == "RNN" else ""
    # Paddle's state_dict lists each parameter twice (weight_ih_l0 and its cell's 0.cell_fw.weight_ih, one
    # tensor): both names are written so that loading finds every key it expects and warns about none
    cells = ["cell"] if rec.directions == 1 else ["cell_fw", "cell_bw"]
    for d, cell in enumerate(cells):
        suffix = "_reverse" if d else ""
        for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            params[f"0.{cell}.{kind}"] = params[f"{kind}_l0{suffix}"]
    return (
        f"{_LAYERS[rec.kind]}({params['weight_ih_l0'].shape[1]}, {rec.hidden}, num_layers=1, "
        f"direction={direction!r}, time_major={rec.layout == 0}, dropout=0.0{activation})"
    )


register_recurrences(op, VOCAB, _layer, __name__)
