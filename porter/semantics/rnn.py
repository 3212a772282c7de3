"""The ONNX recurrent ops (LSTM, GRU, RNN) as every target reads them: attributes with ONNX's defaults and
refusals, the exact unrolled form as a helper written in a target's vocabulary, and the weight conversion to
the torch-style layer layout (gate order, separate input and recurrent biases) that Paddle's and MindSpore's
own nn.LSTM / nn.GRU / nn.SimpleRNN / nn.RNN take.

ONNX layouts: W [dirs, gates*H, I], R [dirs, gates*H, H], B [dirs, 2*gates*H] (input biases, then recurrent),
P [dirs, 3*H] (LSTM peepholes i, o, f); gate order LSTM i, o, f, c; GRU z, r, h.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from porter import semantics
from porter.semantics import register_emitter

GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}
DEFAULT_ACTIVATIONS = {"LSTM": ("Sigmoid", "Tanh", "Tanh"), "GRU": ("Sigmoid", "Tanh"), "RNN": ("Tanh",)}
N_OUTPUTS = {"LSTM": 3, "GRU": 2, "RNN": 2}

# ONNX's activation functions for recurrent ops: (takes alpha, takes beta, default alpha, default beta) -- the
# defaults are those of the ONNX operator of the same name; Affine and ScaledTanh have none, so they need values.
_ACTIVATIONS = {
    "Relu": (False, False, None, None),
    "Tanh": (False, False, None, None),
    "Sigmoid": (False, False, None, None),
    "Softsign": (False, False, None, None),
    "Softplus": (False, False, None, None),
    "Affine": (True, True, None, None),
    "LeakyRelu": (True, False, 0.01, None),
    "ThresholdedRelu": (True, False, 1.0, None),
    "ScaledTanh": (True, True, None, None),
    "HardSigmoid": (True, True, 0.2, 0.5),
    "Elu": (True, False, 1.0, None),
}

# Each activation as a one-argument callable in a target's vocabulary ({sigmoid}, {where}, ...).
_ACTIVATION_SOURCE = {
    "Relu": "{relu}",
    "Tanh": "{tanh}",
    "Sigmoid": "{sigmoid}",
    "Softsign": "lambda v: v / (1 + abs(v))",
    "Softplus": "lambda v: {log}(1 + {exp}(v))",
    "Affine": "lambda v: v * {alpha} + {beta}",
    "LeakyRelu": "lambda v: {where}(v >= 0, v, v * {alpha})",
    "ThresholdedRelu": "lambda v: {where}(v > {alpha}, v, v * 0)",
    "ScaledTanh": "lambda v: {tanh}(v * {beta}) * {alpha}",
    "HardSigmoid": "lambda v: {clip}(v * {alpha} + {beta}, 0.0, 1.0)",
    "Elu": "lambda v: {where}(v >= 0, v, ({exp}(v) - 1) * {alpha})",
}


# The calls the unrolled form and layer_outputs make; a target's vocabulary spells each one.
VOCABULARY = ("matmul", "transpose", "zeros", "zeros_like", "clip", "where", "unsqueeze", "stack", "reshape",
              "sigmoid", "tanh", "relu", "exp", "log")  # fmt: skip


def vocabulary(module: str, **spelled: str) -> dict[str, str]:
    """A target's recurrent vocabulary: `module.name` for every call, except those it spells otherwise."""
    return semantics.vocabulary(module, VOCABULARY, **spelled)


@dataclass(frozen=True)
class Recurrence:
    kind: str  # LSTM | GRU | RNN
    hidden: int
    reverse: tuple[bool, ...]  # per direction: does it run backwards in time
    layout: int  # 0: [seq, batch, ...]; 1: [batch, seq, ...]
    activations: tuple[tuple[tuple[str, float | None, float | None], ...], ...]  # per direction, per slot
    clip: float | None
    linear_before_reset: int
    input_forget: int

    @property
    def directions(self) -> int:
        return len(self.reverse)

    @property
    def default_activations(self) -> bool:
        return all(tuple(a[0] for a in acts) == DEFAULT_ACTIVATIONS[self.kind] for acts in self.activations)


def read_recurrence(n) -> Recurrence:
    """Every attribute of an LSTM / GRU / RNN node, ONNX defaults applied; refuses what ONNX does not define."""
    kind = n.op_type
    if n.since == 1:
        n.ignore_attr("output_sequence", "whether Y is produced follows from the node's outputs")
    hidden = int(n.attr("hidden_size", 0))
    if hidden <= 0:
        w_shape = n.in_shape(1)
        if w_shape is None or not isinstance(w_shape[1], int):
            n.refuse("hidden_size is missing and W's shape is unknown")
        hidden = w_shape[1] // GATES[kind]
    direction = n.attr("direction", "forward")
    reverse = {"forward": (False,), "reverse": (True,), "bidirectional": (False, True)}.get(direction)
    if reverse is None:
        n.refuse(f"direction={direction!r} is not an ONNX value")
    layout = int(n.attr("layout", 0)) if n.since >= 14 else 0
    if layout not in (0, 1):
        n.refuse(f"layout={layout} is not an ONNX value")
    clip = n.attr("clip", None)
    if clip is not None and not clip > 0:
        n.refuse(f"clip={clip} must be positive")
    linear_before_reset = int(n.attr("linear_before_reset", 0)) if kind == "GRU" else 0
    input_forget = int(n.attr("input_forget", 0)) if kind == "LSTM" else 0
    names = n.attr("activations", None)
    per_direction = len(DEFAULT_ACTIVATIONS[kind])
    if names is None:
        names = list(DEFAULT_ACTIVATIONS[kind]) * len(reverse)
    if len(names) == per_direction and len(reverse) == 2:
        names = list(names) * 2  # one set given for a bidirectional node: both directions use it
    if len(names) != per_direction * len(reverse):
        n.refuse(f"{len(names)} activations given, {kind} takes {per_direction} per direction")
    alphas = list(n.attr("activation_alpha", []))
    betas = list(n.attr("activation_beta", []))
    resolved = []
    for name in names:
        canonical = next((k for k in _ACTIVATIONS if k.lower() == str(name).lower()), None)
        if canonical is None:
            n.refuse(f"activation {name!r} is not one ONNX defines for recurrent ops")
        takes_alpha, takes_beta, alpha, beta = _ACTIVATIONS[canonical]
        if takes_alpha:
            alpha = alphas.pop(0) if alphas else alpha
        if takes_beta:
            beta = betas.pop(0) if betas else beta
        if (takes_alpha and alpha is None) or (takes_beta and beta is None):
            n.refuse(f"activation {canonical} needs activation_alpha/activation_beta values")
        resolved.append((canonical, alpha, beta))
    activations = tuple(tuple(resolved[d * per_direction : (d + 1) * per_direction]) for d in range(len(reverse)))
    return Recurrence(kind, hidden, reverse, layout, activations, clip, linear_before_reset, input_forget)


def activation_sources(rec: Recurrence, vocab: dict[str, str]) -> str:
    """The helper's `acts` argument: per direction, a tuple of callables in the target's vocabulary."""
    per_direction = []
    for acts in rec.activations:
        items = [
            _ACTIVATION_SOURCE[name].format(**vocab, alpha=repr(alpha), beta=repr(beta)) for name, alpha, beta in acts
        ]
        per_direction.append(f"({', '.join(items)},)")
    return f"({', '.join(per_direction)},)"


# The unrolled recurrence, exactly ONNX's: states start at zero (or initial_h / initial_c), clip bounds every
# activation's input, and past a batch entry's sequence length its state stays and its output is zero -- which
# in reverse order means it starts at its own last valid step, as ONNX specifies.
_BOUND = """
def _onnx_bound(clip, v):
    # ONNX's clip bounds every activation's input (a function of its own: GRAPH_MODE rejects a lambda here)
    return v if clip is None else {clip}(v, -clip, clip)
"""

_HELPER = """
def _onnx_recurrence(kind, x, w, r, b, lens, h0, c0, p, acts, reverse, clip, layout, linear_before_reset,
                     input_forget):
    # ONNX LSTM / GRU / RNN, unrolled: gates LSTM i, o, f, c; GRU z, r, h; W x + R h + Wb + Rb per gate
    if layout == 1:
        x = {transpose}(x, (1, 0, 2))
        h0 = None if h0 is None else {transpose}(h0, (1, 0, 2))
        c0 = None if c0 is None else {transpose}(c0, (1, 0, 2))
    steps, batch, hidden = x.shape[0], x.shape[1], r.shape[-1]
    gates = w.shape[1] // hidden
    ys, hs, cs = [], [], []
    for d in range(len(reverse)):
        f, g, h_act = (tuple(acts[d]) + (None, None))[:3]
        xw = {matmul}(x, {transpose}(w[d], (1, 0)))
        rt = {transpose}(r[d], (1, 0))
        bias = {zeros}((2 * gates * hidden,), x.dtype) if b is None else b[d]
        wb, rb = bias[: gates * hidden], bias[gates * hidden :]
        h = {zeros}((batch, hidden), x.dtype) if h0 is None else h0[d]
        c = {zeros}((batch, hidden), x.dtype) if c0 is None else c0[d]
        out = [None] * steps
        for t in (range(steps - 1, -1, -1) if reverse[d] else range(steps)):
            xt = xw[t] + wb
            c_new = c
            if kind == "LSTM":
                z = xt + {matmul}(h, rt) + rb
                i_in, o_in, f_in, c_in = (z[:, k * hidden : (k + 1) * hidden] for k in range(4))
                if p is not None:
                    i_in, f_in = i_in + p[d][:hidden] * c, f_in + p[d][2 * hidden :] * c
                i = f(_onnx_bound(clip, i_in))
                forget = 1 - i if input_forget else f(_onnx_bound(clip, f_in))
                c_new = forget * c + i * g(_onnx_bound(clip, c_in))
                if p is not None:
                    o_in = o_in + p[d][hidden : 2 * hidden] * c_new
                h_new = f(_onnx_bound(clip, o_in)) * h_act(c_new)
            elif kind == "GRU":
                hr = {matmul}(h, rt)
                zt = f(_onnx_bound(clip, xt[:, :hidden] + hr[:, :hidden] + rb[:hidden]))
                rt_gate = f(_onnx_bound(clip, xt[:, hidden : 2 * hidden] + hr[:, hidden : 2 * hidden] + rb[hidden : 2 * hidden]))
                if linear_before_reset:
                    candidate = xt[:, 2 * hidden :] + rt_gate * (hr[:, 2 * hidden :] + rb[2 * hidden :])
                else:
                    candidate = xt[:, 2 * hidden :] + {matmul}(rt_gate * h, rt[:, 2 * hidden :]) + rb[2 * hidden :]
                h_new = (1 - zt) * g(_onnx_bound(clip, candidate)) + zt * h
            else:
                h_new = f(_onnx_bound(clip, xt + {matmul}(h, rt) + rb))
            if lens is None:
                h, c, out[t] = h_new, c_new, h_new
            else:
                valid = {unsqueeze}(lens > t, 1)
                h, c = {where}(valid, h_new, h), {where}(valid, c_new, c)
                out[t] = {where}(valid, h_new, {zeros_like}(h_new))
        ys.append({stack}(out, 0))
        hs.append(h)
        cs.append(c)
    y, y_h, y_c = {stack}(ys, 1), {stack}(hs, 0), {stack}(cs, 0)
    if layout == 1:
        y, y_h, y_c = {transpose}(y, (2, 0, 1, 3)), {transpose}(y_h, (1, 0, 2)), {transpose}(y_c, (1, 0, 2))
    return y, y_h, y_c
"""


def recurrence_helper(vocab: dict[str, str]) -> str:
    """The unrolled helper's source in a target's vocabulary (the names of its matmul, transpose, stack, ...)."""
    return _HELPER.format(**vocab)


def recurrence_call(n, rec: Recurrence, helper: str, vocab: dict[str, str]) -> str:
    """The call of the unrolled helper for node n, sliced to the outputs the node uses."""
    lstm = rec.kind == "LSTM"
    optional = {i: (n.x(i) if n.has_input(i) else "None") for i in range(3, 8)}
    args = [
        repr(rec.kind), n.x(0), n.x(1), n.x(2), optional[3], optional[4], optional[5],
        optional[6] if lstm else "None", optional[7] if lstm else "None",
        activation_sources(rec, vocab), repr(rec.reverse), repr(rec.clip), str(rec.layout),
        str(rec.linear_before_reset), str(rec.input_forget),
    ]  # fmt: skip
    call = f"{helper}({', '.join(args)})"
    used = n.num_outputs
    return f"{call}[0]" if used == 1 else f"{call}[:{used}]"


def unrolled(n, vocab: dict[str, str]) -> str:
    """The whole unrolled emission of an LSTM / GRU / RNN node in a target's vocabulary."""
    rec = read_recurrence(n)
    n.helper("_onnx_bound", _BOUND.format(**vocab))
    helper = n.helper("_onnx_recurrence", recurrence_helper(vocab))
    return recurrence_call(n, rec, helper, vocab)


# ONNX gate order -> the torch-style order Paddle's and MindSpore's layers use (LSTM i, f, g, o; GRU r, z, n)
_LAYER_GATE_ORDER = {"LSTM": [0, 2, 3, 1], "GRU": [1, 0, 2], "RNN": [0]}


def layer_params(n, rec: Recurrence) -> dict[str, np.ndarray] | None:
    """The parameters of the framework's own single-layer LSTM / GRU / RNN (torch-style names and gate order,
    input and recurrent biases apart), converted at convert time; None where that layer would not compute
    what ONNX specifies (clip, peepholes, coupled gates, other activations, sequence_lens, reverse-only,
    GRU's linear_before_reset=0, which the layers do not have) or the weights are not constants."""
    if (
        not rec.default_activations
        or rec.clip is not None
        or rec.input_forget
        or rec.reverse not in ((False,), (False, True))
    ):
        return None
    if (rec.kind == "GRU" and not rec.linear_before_reset) or n.has_input(4) or n.in_dtype(0) != "float32":
        return None
    if rec.kind == "LSTM" and n.has_input(7) and (n.const(7) is None or np.any(n.const(7))):
        return None
    if rec.kind == "LSTM" and n.has_input(5) != n.has_input(6):  # the layers take both states or neither
        return None
    w, r = n.const(1), n.const(2)
    gates, hidden = GATES[rec.kind], rec.hidden
    b = n.const(3) if n.has_input(3) else np.zeros((rec.directions, 2 * gates * hidden), np.float32)
    if w is None or r is None or b is None:
        return None
    order = _LAYER_GATE_ORDER[rec.kind]

    def reorder(a):
        return a.reshape(gates, hidden, *a.shape[1:])[order].reshape(a.shape)

    params = {}
    for d in range(rec.directions):
        suffix = "_reverse" if d else ""
        params[f"weight_ih_l0{suffix}"] = reorder(w[d])
        params[f"weight_hh_l0{suffix}"] = reorder(r[d])
        params[f"bias_ih_l0{suffix}"] = reorder(b[d][: gates * hidden])
        params[f"bias_hh_l0{suffix}"] = reorder(b[d][gates * hidden :])
    return params


def layer_outputs(n, rec: Recurrence, layer: str, vocab: dict[str, str]) -> list[str]:
    """Call a declared layer on node n's input and return ONNX's Y, Y_h (, Y_c) from its results: the layers
    give y as [seq, batch, dirs * H] (or batch first) and states as [dirs, batch, H]."""
    x, dirs, hidden = n.x(0), rec.directions, rec.hidden
    t = vocab["transpose"]
    states = [n.x(i) if n.has_input(i) else None for i in ((5, 6) if rec.kind == "LSTM" else (5,))]
    if rec.layout == 1:  # ONNX's batchwise states are [batch, dirs, H]
        states = [None if s is None else f"{t}({s}, (1, 0, 2))" for s in states]
    y, h = n.tmp("y"), n.tmp("h")
    if rec.kind == "LSTM":
        c = n.tmp("c")
        initial = "" if states[0] is None else f", ({states[0]}, {states[1]})"
        n.stmt(f"{y}, ({h}, {c}) = {layer}({x}{initial})")
        finals = [h, c]
    else:
        initial = "" if states[0] is None else f", {states[0]}"
        n.stmt(f"{y}, {h} = {layer}({x}{initial})")
        finals = [h]
    if dirs == 1:
        full = f"{vocab['unsqueeze']}({y}, {1 if rec.layout == 0 else 2})"
    else:
        split = f"{vocab['reshape']}({y}, ({y}.shape[0], {y}.shape[1], 2, {hidden}))"
        full = f"{t}({split}, (0, 2, 1, 3))" if rec.layout == 0 else split
    if rec.layout == 1:
        finals = [f"{t}({s}, (1, 0, 2))" for s in finals]
    return [full, *finals][: n.num_outputs]


_DOCS = {
    "LSTM": "nn.LSTM (weights in its gate order) or the exact unrolled form (peepholes, clip, sequence_lens, ...)",
    "GRU": "nn.GRU for linear_before_reset=1, else the exact unrolled form (clip, sequence_lens, activations)",
    "RNN": "the framework's tanh RNN layer or the exact unrolled form (clip, sequence_lens, any activation)",
}


def register_recurrences(op, vocab: dict[str, str], layer, module: str) -> None:
    """Register LSTM, GRU and RNN (float32 / float64) for a target: the framework's own layer where
    layer_params says it computes what ONNX specifies, the exact unrolled form otherwise. The target spells
    `layer(rec, params) -> constructor source` (it may add its own parameter names to `params`) and the
    unrolled form's `vocab`."""

    for op_type, doc in _DOCS.items():

        def emit(n):  # one function object per op: each carries its own name and docstring
            rec = read_recurrence(n)
            params = layer_params(n, rec)
            if params is None:
                return unrolled(n, vocab)
            return layer_outputs(n, rec, n.layer(n.layer_hint(1), layer(rec, params), params), vocab)

        register_emitter(op, op_type, emit, module=module, doc=doc, dtypes={"float32", "float64"})
