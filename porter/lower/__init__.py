"""Lowering: an ONNX graph to a Program of statements, one class per source module.

- program: the Program, and what lowering knows of each value (ValueInfo) and module scope (ScopeState)
- context: NodeContext, one node as an emitter in op_maps/<target>/ sees it
- lowering: the walk over the graph, constants and folding, module scopes
- hierarchy: the source's module tree, from the exporter's node metadata
- structure: lowering into that tree (classes, module lists, loops, shared bodies)
"""

from porter.lower.context import NodeContext
from porter.lower.lowering import Lowering
from porter.lower.program import Program, ScopeState, ValueInfo

__all__ = ["Lowering", "NodeContext", "Program", "ScopeState", "ValueInfo"]
