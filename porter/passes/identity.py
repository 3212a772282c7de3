"""Identity elimination in the main graph: the readers of `y = Identity(x)` read x.

onnx_ir's IdentityEliminationPass also walks control-flow bodies, where an Identity of an outer value is how
a branch returns it: there it renames the outer value to the branch's output name, so the main graph loses
the value's own name and type information and the branch returns a value it does not compute. This pass
stays in the main graph, and keeps an Identity that produces a graph output (lowering writes it as an alias
at no cost, and the output keeps its name without renaming the value it copies).
"""

from __future__ import annotations

import onnx_ir as ir

from porter.passes.matching import is_onnx


class IdentityPass(ir.passes.InPlacePass):
    def __init__(self):
        super().__init__()
        self.count = 0

    def call(self, model: ir.Model) -> ir.passes.PassResult:
        graph = model.graph
        count = 0
        for node in list(graph):
            if node.op_type != "Identity" or not is_onnx(node) or len(node.inputs) != 1 or len(node.outputs) != 1:
                continue
            source, copy = node.inputs[0], node.outputs[0]
            if source is None or copy.is_graph_output():
                continue
            ir.convenience.replace_all_uses_with(copy, source)
            graph.remove(node, safe=True)
            count += 1
        self.count += count
        return ir.passes.PassResult(model, modified=bool(count))
