"""Literal tidying on the statement IR: what a hand port would not write, rewritten to what it would.

Exporters spell "to the end" of a slice as an end of 2**62 or INT64_MAX and every step as 1: ONNX has no
way to leave them out. Python's slices clamp, so `x[:, 4:4611686018427387904:1]` is `x[:, 4:]` for any
tensor that fits in memory, and `x[0:4:1]` is `x[:4]`. Only constant bounds are rewritten, and a start or an
end is dropped only when the step is positive (with a negative step an absent end means "to the front",
which a large end does not).
"""

from __future__ import annotations

import ast

from porter.codegen.statements import Statement

# An end at least this large reaches past any dimension a tensor can have (2**62 elements of one byte is
# four million terabytes): leaving it out is the same slice.
UNBOUNDED_END = 1 << 62


def tidy(stmt: Statement) -> Statement:
    """The statement with its constant slice bounds written as a person would (see the module docstring)."""
    tree = _TidySlices().visit(stmt.tree)
    return Statement(tree)


def _int(node: ast.expr | None) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _int(node.operand)
        return None if inner is None else -inner
    return None


class _TidySlices(ast.NodeTransformer):
    def visit_Slice(self, node: ast.Slice) -> ast.Slice:
        self.generic_visit(node)
        step = 1 if node.step is None else _int(node.step)
        if step is None or step <= 0:
            return node
        if step == 1:
            node.step = None
        if _int(node.lower) == 0:
            node.lower = None
        upper = _int(node.upper)
        if upper is not None and upper >= UNBOUNDED_END:
            node.upper = None
        return node
