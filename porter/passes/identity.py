"""Identity elimination in the main graph: the readers of `y = Identity(x)` read x.

onnx_ir's IdentityEliminationPass also walks control-flow bodies, where an Identity of an outer value is how
a branch returns it: there it renames the outer value to the branch's output name, so the main graph loses
the value's own name and type information and the branch returns a value it does not compute. This pass
stays in the main graph, and keeps an Identity that produces a graph output (lowering writes it as an alias
at no cost, and the output keeps its name without renaming the value it copies).
"""

from __future__ import annotations

import onnx_ir as ir

from porter.passes.matching import RewritePass, is_onnx


class IdentityPass(RewritePass):
    def rewrite(self, node: ir.Node) -> int:
        if node.op_type != "Identity" or not is_onnx(node) or len(node.inputs) != 1 or len(node.outputs) != 1:
            return 0
        source, copy = node.inputs[0], node.outputs[0]
        if source is None or copy.is_graph_output():
            return 0
        ir.convenience.replace_all_uses_with(copy, source)
        node.graph.remove(node, safe=True)
        return 1
