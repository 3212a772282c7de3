"""The target-neutral reading of the activations (op_maps/<target>/activation.py): ONNX's attribute defaults,
the softmax family's axis rule before and after opset 13, and the refusals."""

from __future__ import annotations

# ONNX's default alpha of each activation that takes one
ALPHA = {
    "Elu": 1.0,
    "Celu": 1.0,
    "LeakyRelu": 0.01,
    "ThresholdedRelu": 1.0,
    "HardSigmoid": 0.2,
    "Selu": 1.67326319217681884765625,
    "Swish": 1.0,
    "SwiGLU": 1.0,
}


def activation_alpha(n) -> float:
    """The node's alpha, ONNX's default where it has none."""
    return float(n.attr("alpha", ALPHA[n.op_type]))


def selu_args(n) -> tuple[float, float]:
    """Selu's (alpha, gamma)."""
    return activation_alpha(n), float(n.attr("gamma", 1.05070102214813232421875))


def hard_sigmoid_args(n) -> tuple[float, float]:
    """HardSigmoid's (alpha, beta): y = clip(alpha * x + beta, 0, 1)."""
    return activation_alpha(n), float(n.attr("beta", 0.5))


def shrink_expression(n, where: str, zeros_like: str) -> str:
    """Shrink: x + bias below -lambd, x - bias above lambd, 0 between, in the target's `where` / `zeros_like`."""
    lambd, bias = float(n.attr("lambd", 0.5)), float(n.attr("bias", 0.0))
    x = n.x(0)
    return (
        f"{where}({x} < {n.lit(-lambd)}, {x} + {n.lit(bias)}, "
        f"{where}({x} > {n.lit(lambd)}, {x} - {n.lit(bias)}, {zeros_like}({x})))"
    )


def gelu_approximation(n) -> str:
    """Gelu's approximate: none (erf) or tanh."""
    approximate = n.attr("approximate", "none")
    if approximate not in ("none", "tanh"):
        n.refuse(f"approximate={approximate!r} is not an ONNX value")
    return approximate


def softmax_axis(n) -> tuple[int, bool]:
    """Softmax / LogSoftmax / Hardmax: (axis, coerced). From opset 13 the op runs along `axis`; before, over the
    input coerced to 2-D at `axis` (made non-negative here; the input rank must be known): coerced is True
    unless that block is the last axis alone, when the op runs along -1."""
    if n.since >= 13:
        return int(n.attr("axis", -1)), False
    axis = int(n.attr("axis", 1))
    rank = n.in_rank(0)
    if rank is None:
        n.refuse("input rank must be known for opset < 13 (axis coerces the input to 2-D)")
    axis = axis + rank if axis < 0 else axis
    return (-1, False) if axis == rank - 1 else (axis, True)
