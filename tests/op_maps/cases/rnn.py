"""Target-neutral cases for op_maps/<target>/rnn.py: LSTM, GRU and RNN with every ONNX attribute."""

import numpy as np

from tests.op_maps.harness import NodeCase, build_model, reference

rng = np.random.default_rng(0)
SEQ, BATCH, IN, H = 5, 3, 4, 6
F32 = np.float32


def _w(*shape):
    return (rng.standard_normal(shape) * 0.5).astype(F32)


def _inputs(kind, dirs=1, layout=0, bias=True, lens=None, initial=False, peep=False):
    gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[kind]
    x_shape = (SEQ, BATCH, IN) if layout == 0 else (BATCH, SEQ, IN)
    state = (dirs, BATCH, H) if layout == 0 else (BATCH, dirs, H)
    inputs = {"x": _w(*x_shape), "w": _w(dirs, gates * H, IN), "r": _w(dirs, gates * H, H)}
    inputs["b"] = _w(dirs, 2 * gates * H) if bias or lens is not None or initial or peep else None
    inputs["lens"] = None if lens is None else np.array(lens, np.int32)
    inputs["h0"] = _w(*state) if initial else None
    if kind == "LSTM":
        inputs["c0"] = _w(*state) if initial else None
        inputs["p"] = _w(dirs, 3 * H) if peep else None
    # trailing omitted inputs are dropped, not given as ""
    while inputs and list(inputs.values())[-1] is None:
        inputs.popitem()
    return inputs


def _case(name, kind, n_outputs=None, consts=("w", "r", "b", "p"), **kw):
    attrs = kw.pop("attrs", {})
    inputs = _inputs(kind, **kw)
    attrs = {"hidden_size": H, **attrs}
    outputs = n_outputs or {"LSTM": 3, "GRU": 2, "RNN": 2}[kind]
    case = NodeCase(
        name, kind, inputs, attrs=attrs, consts=tuple(c for c in consts if inputs.get(c) is not None),
        n_outputs=outputs,
    )  # fmt: skip
    if attrs.get("layout") == 1:
        case.reference = _batchwise_reference(case)
    return case


def _batchwise_reference(case: NodeCase):
    """onnxruntime takes no layout=1 recurrence: the reference is the layout-0 node on transposed inputs,
    its outputs transposed back ([batch, seq, dirs, H] and [batch, dirs, H])."""
    time_major = {k: (np.swapaxes(a, 0, 1) if k in ("x", "h0", "c0") and a is not None else a)
                  for k, a in case.inputs.items()}  # fmt: skip
    attrs = {k: v for k, v in case.attrs.items() if k != "layout"}
    base = NodeCase(case.id, case.op_type, time_major, attrs=attrs, consts=case.consts, n_outputs=case.n_outputs)
    model = build_model(base)
    names = [k for k, a in case.inputs.items() if a is not None and k not in case.consts]

    def run(arrays):
        feeds = [np.swapaxes(a, 0, 1) if k in ("x", "h0", "c0") else a for k, a in zip(names, arrays)]
        outs = reference(model, base, feeds)
        return [np.transpose(outs[0], (2, 0, 1, 3)), *(np.swapaxes(o, 0, 1) for o in outs[1:])]

    return run


CASES = [
    _case("lstm_forward", "LSTM"),
    _case("lstm_bidirectional_initial_states", "LSTM", dirs=2, initial=True, attrs={"direction": "bidirectional"}),
    _case("lstm_reverse_sequence_lens", "LSTM", lens=[5, 2, 3], attrs={"direction": "reverse"}),
    _case(
        "lstm_bidirectional_lens_layout1",
        "LSTM",
        dirs=2,
        layout=1,
        lens=[1, 5, 4],
        initial=True,
        attrs={"direction": "bidirectional", "layout": 1},
    ),  # fmt: skip
    _case("lstm_peepholes_clip", "LSTM", peep=True, attrs={"clip": 0.5}),
    _case("lstm_input_forget", "LSTM", attrs={"input_forget": 1}),
    _case(
        "lstm_activations_alpha_beta",
        "LSTM",
        attrs={
            "activations": ["HardSigmoid", "LeakyRelu", "ScaledTanh"],
            "activation_alpha": [0.3, 0.2, 0.9],
            "activation_beta": [0.4, 1.1],
        },
    ),  # fmt: skip
    _case("lstm_runtime_weights_y_only", "LSTM", n_outputs=1, consts=()),
    _case("lstm_no_bias", "LSTM", bias=False),
    _case(
        "lstm_layer_bidirectional_layout1_states",
        "LSTM",
        dirs=2,
        layout=1,
        initial=True,
        attrs={"direction": "bidirectional", "layout": 1},
    ),  # fmt: skip
    _case(
        "gru_layer_bidirectional_layout1",
        "GRU",
        dirs=2,
        layout=1,
        attrs={"direction": "bidirectional", "layout": 1, "linear_before_reset": 1},
    ),  # fmt: skip
    _case("rnn_layer_initial_state", "RNN", initial=True),
    _case("gru_forward", "GRU"),
    _case("gru_linear_before_reset", "GRU", attrs={"linear_before_reset": 1}),
    _case(
        "gru_bidirectional_lens_initial",
        "GRU",
        dirs=2,
        lens=[3, 5, 1],
        initial=True,
        attrs={"direction": "bidirectional", "linear_before_reset": 1},
    ),  # fmt: skip
    _case("gru_layout1_clip", "GRU", layout=1, attrs={"layout": 1, "clip": 0.7}),
    _case("gru_activations", "GRU", attrs={"activations": ["Sigmoid", "Elu"], "activation_alpha": [0.5]}),
    _case("rnn_forward", "RNN"),
    _case(
        "rnn_bidirectional_relu_layout1",
        "RNN",
        dirs=2,
        layout=1,
        initial=True,
        attrs={"direction": "bidirectional", "layout": 1, "activations": ["Relu", "Softsign"]},
    ),  # fmt: skip
    _case(
        "rnn_reverse_lens_softplus", "RNN", lens=[2, 5, 4], attrs={"direction": "reverse", "activations": ["Softplus"]}
    ),
    _case(
        "rnn_affine_thresholded",
        "RNN",
        dirs=2,
        attrs={
            "direction": "bidirectional",
            "activations": ["Affine", "ThresholdedRelu"],
            "activation_alpha": [0.5, 0.1],
            "activation_beta": [0.2],
        },
    ),  # fmt: skip
    NodeCase(
        "lstm_unknown_activation",
        "LSTM",
        _inputs("LSTM"),
        attrs={"hidden_size": H, "activations": ["Sigmoid", "Gelu", "Tanh"]},
        consts=("w", "r", "b"),
        n_outputs=3,
        refuse="activation 'Gelu' is not one ONNX defines",
    ),  # fmt: skip
    NodeCase(
        "rnn_affine_without_alpha",
        "RNN",
        _inputs("RNN"),
        attrs={"hidden_size": H, "activations": ["Affine"]},
        consts=("w", "r", "b"),
        n_outputs=2,
        refuse="Affine needs activation_alpha",
    ),  # fmt: skip
]

# cases the framework's own layer computes exactly (the rest take the unrolled form)
LAYER_CASES = {
    "lstm_forward", "lstm_bidirectional_initial_states", "lstm_no_bias", "lstm_layer_bidirectional_layout1_states",
    "gru_linear_before_reset", "gru_layer_bidirectional_layout1", "rnn_forward", "rnn_layer_initial_state",
}  # fmt: skip
