"""Taps: a copy of a generated model.py that reports every intermediate, and can be fed reference values.

report.json's "values" maps ONNX value names to the local variables of forward/construct. The copy
adds, after each top-level statement that assigns such a variable,

    stem_conv = __porter_tap__('stem_conv', stem_conv)

`__porter_tap__` records the value and, when teacher forcing, returns the reference's own value in its
place, so that every later statement computes from the reference's inputs: one run then measures each
kernel alone, and one free run measures the error as it accumulates. The generated file itself is
never changed. MindSpore runs the copy in PyNative mode (graph mode cannot call back into Python).
"""

from __future__ import annotations

import ast

from porter.errors import PorterError

TAP = "__porter_tap__"
_FORWARD_NAMES = ("forward", "construct")


def instrument(source: str, class_name: str, value_map: list[dict]) -> str:
    """model.py's source with taps after each mapped assignment; raises PorterError if it cannot."""
    tree = ast.parse(source)
    method = _forward_method(tree, class_name)
    value_of = {m["var"]: m["value"] for m in value_map}
    body, tapped = [], set()
    for stmt in method.body:
        body.append(stmt)
        for var in _assigned_names(stmt):
            if var in value_of and var not in tapped:
                tapped.add(var)
                body.append(ast.parse(f"{var} = {TAP}({value_of[var]!r}, {var})").body[0])
    method.body = body
    return ast.unparse(ast.fix_missing_locations(tree))


def _forward_method(tree: ast.Module, class_name: str) -> ast.FunctionDef:
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name in _FORWARD_NAMES:
                    return item
    raise PorterError(f"model.py has no class {class_name} with forward/construct: was it edited by hand?")


def _assigned_names(stmt: ast.stmt) -> list[str]:
    if not isinstance(stmt, ast.Assign):
        return []
    names = []
    for target in stmt.targets:
        elements = target.elts if isinstance(target, ast.Tuple) else [target]
        names += [e.id for e in elements if isinstance(e, ast.Name)]
    return names
