"""Identity elimination in the main graph: the readers of `y = Identity(x)` read x.

onnx_ir's IdentityEliminationPass also walks control-flow bodies, where an Identity of an outer value is how
a branch returns it: there it renames the outer value to the branch's output name, so the main graph loses
the value's own name and type information and the branch returns a value it does not compute. This pass
stays in the main graph, and keeps an Identity that produces a graph output (lowering writes it as an alias
at no cost, and the output keeps its name without renaming the value it copies).

A logical op with its neutral element is an identity too: `And(x, True)` and `Or(x, False)`, the constant a
0-d bool (a scalar broadcasts without changing x's shape). transformers' masks start from one
(`new_ones(()) & causal`), which the port wrote as `paddle.logical_and(paddle.to_tensor(True), le)`.
"""

from __future__ import annotations

import onnx_ir as ir

from porter.passes.matching import RewritePass, constant, is_onnx, operands

NEUTRAL = {"And": True, "Or": False}  # op -> the bool that leaves the other operand as it is


def _neutral_operand(node: ir.Node) -> ir.Value | None:
    """The other operand of And / Or when one operand is that op's neutral 0-d bool constant."""
    for const, other in operands(node):
        array = constant(const)
        if array is not None and array.ndim == 0 and array.dtype == bool and bool(array) == NEUTRAL[node.op_type]:
            return other
    return None


class IdentityPass(RewritePass):
    def rewrite(self, node: ir.Node) -> int:
        if not is_onnx(node) or len(node.outputs) != 1:
            return 0
        if node.op_type == "Identity" and len(node.inputs) == 1:
            source = node.inputs[0]
        elif node.op_type in NEUTRAL:
            source = _neutral_operand(node)
        else:
            return 0
        copy = node.outputs[0]
        if source is None or copy.is_graph_output():
            return 0
        ir.convenience.replace_all_uses_with(copy, source)
        node.graph.remove(node, safe=True)
        return 1
