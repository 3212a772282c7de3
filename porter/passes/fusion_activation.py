"""Activation fusion: the exporter's decompositions of GELU (erf and tanh forms) and SiLU written back as
ONNX Gelu and Swish, so the port calls the framework's own gelu / silu.

torch.onnx writes `gelu(x)` as Div, Erf, Add, Mul, Mul; transformers' tanh GELU (GPT-2's gelu_new) is
Python arithmetic around a Tanh; `x * sigmoid(x)` is SiLU. Each pattern is checked on the graph itself (op
types, exact constants, one reader for every intermediate), never on the exporter's metadata: the fused op
is the same formula, so the result stays within the cpu profile.
"""

from __future__ import annotations

import math

import onnx_ir as ir

from porter.passes.matching import FusionPass, is_scalar, operands, sole, with_scalar
from porter.passes.screen import FUSIONS


def _halved_product(final: ir.Node):
    """x * 0.5 * bracket in any grouping of the two Muls: yields (x, bracket value, the inner Mul)."""
    for left, right in operands(final):
        inner = sole(left, "Mul")
        if inner is None:
            continue
        for a, b in operands(inner):
            if is_scalar(a, 0.5):  # (x * 0.5) * bracket  or  (0.5 * bracket) * x
                yield right, b, inner
                yield b, right, inner
            elif is_scalar(right, 0.5):  # (x * bracket) * 0.5
                yield a, b, inner


def _one_plus(value: ir.Value, op_type: str) -> ir.Node | None:
    """The `op_type` node under `1 + op(...)`, with the Add."""
    plus = sole(value, "Add")
    term = with_scalar(plus, 1.0)
    return sole(term, op_type)


class GeluPass(FusionPass):
    """x * 0.5 * (1 + erf(x / sqrt(2)))  ->  Gelu(approximate='none');
    x * 0.5 * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x ** 3)))  ->  Gelu(approximate='tanh')."""

    op_type = "Gelu"
    since = FUSIONS[op_type][0]

    def match(self, node: ir.Node):
        if node.op_type != "Mul":
            return None
        for x, bracket, inner in _halved_product(node):
            plus = sole(bracket, "Add")
            for kind in ("Erf", "Tanh"):
                core = _one_plus(bracket, kind)
                body = core and (_erf_argument(core, x) if kind == "Erf" else _tanh_argument(core, x))
                if body:
                    approximate = "none" if kind == "Erf" else "tanh"
                    return [x], {"approximate": approximate}, [*body, core, plus, inner, node]
        return None


def _erf_argument(erf: ir.Node, x: ir.Value) -> list[ir.Node] | None:
    """x / sqrt(2) or x * (1 / sqrt(2))."""
    div = sole(erf.inputs[0], "Div")
    if div is not None and div.inputs[0] is x and is_scalar(div.inputs[1], math.sqrt(2)):
        return [div]
    mul = sole(erf.inputs[0], "Mul")
    if mul is not None and with_scalar(mul, 1 / math.sqrt(2)) is x:
        return [mul]
    return None


def _tanh_argument(tanh: ir.Node, x: ir.Value) -> list[ir.Node] | None:
    """sqrt(2 / pi) * (x + 0.044715 * x ** 3), in any operand order."""
    scaled = sole(tanh.inputs[0], "Mul")
    shifted = sole(with_scalar(scaled, math.sqrt(2 / math.pi)), "Add")
    if shifted is None:
        return None
    for first, cubic_side in operands(shifted):
        cubic = sole(cubic_side, "Mul")
        cube = sole(with_scalar(cubic, 0.044715), "Pow")
        if first is x and cube is not None and cube.inputs[0] is x and is_scalar(cube.inputs[1], 3.0):
            return [cube, cubic, shifted, scaled]
    return None


class SiluPass(FusionPass):
    """x * sigmoid(x)  ->  Swish(alpha=1)."""

    op_type = "Swish"
    since = FUSIONS[op_type][0]

    def match(self, node: ir.Node):
        if node.op_type != "Mul":
            return None
        for x, gate in operands(node):
            sigmoid = sole(gate, "Sigmoid")
            if sigmoid is not None and sigmoid.inputs[0] is x:
                return [x], {"alpha": 1.0}, [sigmoid, node]
        return None
