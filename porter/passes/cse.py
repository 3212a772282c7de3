"""Common subexpressions, merged only inside one source module.

onnx_ir's CommonSubexpressionEliminationPass merges equal nodes anywhere in the graph. A PyTorch export
records each node's module path (metadata "pkg.torch.onnx.name_scopes"), and porter writes one class per
source module from it (porter/hierarchy.py): a node shared by two modules would leave one of them reading
the other's value, and the per-module classes would lose their shape. So this pass merges two nodes only
when they come from the same module call, and never merges what may not be computed once for two readers:
random draws and Dropout (they draw per call), control flow, and ops of other domains (a plugin's op may
have side effects porter cannot see).
"""

from __future__ import annotations

import onnx_ir as ir

from porter.folding import NEVER_FOLD
from porter.passes.matching import RewritePass, is_onnx
from porter.passes.screen import CONSTANT_LIMIT, SCOPE_KEY

NEVER_MERGE = NEVER_FOLD | {"Dropout"}
_PLAIN = {
    ir.AttributeType.INT,
    ir.AttributeType.FLOAT,
    ir.AttributeType.STRING,
    ir.AttributeType.INTS,
    ir.AttributeType.FLOATS,
    ir.AttributeType.STRINGS,
}


def module_scope(node: ir.Node) -> str | None:
    """The module call a node belongs to: its name_scopes without the last entry (the op itself)."""
    scopes = node.metadata_props.get(SCOPE_KEY)
    return None if scopes is None else scopes.rpartition(",")[0]


def _attribute_key(attr: ir.Attr):
    if attr.type in _PLAIN:
        value = attr.value
        return tuple(value) if isinstance(value, list | tuple) else value
    if attr.type is ir.AttributeType.TENSOR and attr.value.size <= CONSTANT_LIMIT:
        array = attr.value.numpy()
        return (array.shape, str(array.dtype), array.tobytes())
    return None  # subgraphs, large tensors, types: never merged


def _key(node: ir.Node):
    if not is_onnx(node) or node.op_type in NEVER_MERGE or any(o.is_graph_output() for o in node.outputs):
        return None
    attributes = []
    for name, attr in sorted(node.attributes.items()):
        if attr.is_ref():
            return None
        value = _attribute_key(attr)
        if value is None:
            return None
        attributes.append((name, attr.type, value))
    inputs = tuple(id(v) if v is not None else None for v in node.inputs)
    return (node.op_type, node.overload, len(node.outputs), inputs, tuple(attributes), module_scope(node))


class ScopedCsePass(RewritePass):
    """Merge equal nodes (same op, inputs, attributes) of one module scope; the first one stays. The nodes
    come in topological order: an earlier merge makes later nodes' inputs equal."""

    def call(self, model: ir.Model) -> ir.passes.PassResult:
        self._first: dict = {}  # key -> the node kept, for this graph
        return super().call(model)

    def rewrite(self, node: ir.Node) -> int:
        key = _key(node)
        if key is None:
            return 0
        kept = self._first.setdefault(key, node)
        if kept is node:
            return 0
        ir.convenience.replace_all_uses_with(list(node.outputs), list(kept.outputs))
        node.graph.remove(node, safe=True)
        return 1
