"""Instances of one source class that differ only in an optional sub-module become one class whose constructor
takes the choice, as the source's does: transformers' ResNetConvLayer holds `nn.ReLU()` or `nn.Identity()`
(its activation), ResNetBasicLayer a ResNetShortCut or `nn.Identity()` (its shortcut). The export has no node
for an identity, so one instance's forward reads `relu(h)` or `h + self.shortcut(x)` where another's reads
`h` or `h + x`. Both are written with the sub-module called unconditionally:

    self.activation = nn.ReLU() if activation else nn.Identity()
    ...
    return self.activation(self.normalization(self.convolution(x)))

Only where that call is the whole difference: the forwards must be the same once it is taken out, and the
`__init__` bodies the same up to constructor literals and that one declaration. The choice is written as a
boolean literal in each instance's declaration (`nn.ReLU() if True else nn.Identity()`), which
porter.lower.constructors then turns into the constructor argument like any other literal.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable
from typing import TYPE_CHECKING

from porter.codegen.statements import Statement, expression, is_self_attr, render_expr, substitute_expr

if TYPE_CHECKING:
    from porter.lower.structure import ClassDef

# Activation functions with one input and no options whose layer both targets have under the same name
# (`nn.functional.relu` / `ops.relu` -> `nn.ReLU()`); gelu is left out: its `approximate` differs per target
ACTIVATION_LAYERS = {"relu": "ReLU", "sigmoid": "Sigmoid", "tanh": "Tanh", "silu": "SiLU"}
_IDENTITY = "nn.Identity()"


def align_optional(classes: list[ClassDef], key: Callable[[ClassDef], tuple]) -> bool:
    """Rewrite, in place, the first pair of class groups (classes with one `key`) of one source class where one
    group's forward is the other's with one call more; True when it did. `key(c)` is the merge's grouping key
    (the same key: after the rewrite both groups merge)."""
    by_key: dict[tuple, list[ClassDef]] = {}
    for c in classes:
        if c.base is None and not c.init_params and c.source_class:
            by_key.setdefault(key(c), []).append(c)
    groups = list(by_key.values())
    for full in groups:
        for bare in groups:
            if full is bare or full[0].source_class != bare[0].source_class:
                continue
            if len(full[0].params) != len(bare[0].params):
                continue
            for site in _sites(full[0]):
                plan = _plan(full[0], bare[0], site, key)
                if plan is not None:
                    _apply(full, bare, site, plan)
                    return True
    return False


def forward_key(body: list[Statement], returns: list[str], params: list[str]) -> tuple[str, ...]:
    """The forward with its locals numbered in order of appearance (`x` and `hidden` are the same local) and
    inlined again under those names: each class was inlined under its own names, and a longer name can keep
    a value on a line of its own in one instance (`h = ...`) that another's shorter name inlined."""
    from porter.lower.structure import inline_single_use  # structure imports this package's merge step

    names = list(params) + [name for stmt in body for name in stmt.stores]
    mapping = {name: f"v{i}" for i, name in enumerate(dict.fromkeys(names))}
    lines = [stmt.substituted(mapping) for stmt in body]
    outs = [substitute_expr(text, mapping) for text in returns]
    inline_single_use(lines, outs)
    return (*(stmt.render() for stmt in lines), "#", *outs)


def _trees(c: ClassDef) -> list[ast.AST]:
    return [copy.deepcopy(s.tree) for s in c.forward_body] + [expression(text) for text in c.return_exprs]


def _calls(trees: list[ast.AST]) -> list[ast.Call]:
    return [n for tree in trees for n in ast.walk(tree) if isinstance(n, ast.Call)]


def _sites(c: ClassDef) -> list[tuple[int, str, str | None]]:
    """(index of the call among the forward's calls, the attribute that will hold the sub-module, the layer
    to declare, None when it is declared already) for each call that could be an optional sub-module."""
    declared = [s.attribute_target for s in c.init_body]
    sites = []
    for index, call in enumerate(_calls(_trees(c))):
        if len(call.args) != 1 or call.keywords or isinstance(call.args[0], ast.Starred):
            continue
        name = render_expr(call.func).rsplit(".", 1)[-1]
        if name in ACTIVATION_LAYERS and not is_self_attr(call.func) and "activation" not in declared:
            sites.append((index, "activation", f"nn.{ACTIVATION_LAYERS[name]}()"))
        elif is_self_attr(call.func) and declared.count(call.func.attr) == 1:
            uses = sum(1 for tree in _trees(c) for n in ast.walk(tree) if is_self_attr(n, call.func.attr))
            decl = c.init_body[declared.index(call.func.attr)]
            if uses == 1 and isinstance(decl.value, ast.Call):
                sites.append((index, call.func.attr, None))
    return sites


def _replace_call(c: ClassDef, index: int, make: Callable[[ast.Call], ast.expr]) -> tuple[list, list]:
    """The forward (statements, returns) with its index-th call replaced by make(call)."""
    trees = _trees(c)
    target = _calls(trees)[index]

    class Swap(ast.NodeTransformer):
        def visit_Call(self, node: ast.Call) -> ast.expr:
            self.generic_visit(node)
            return make(node) if node is target else node

    trees = [ast.fix_missing_locations(Swap().visit(tree)) for tree in trees]
    n = len(c.forward_body)
    return [Statement(tree) for tree in trees[:n]], [render_expr(tree) for tree in trees[n:]]


def _choice(layer: str, chosen: bool) -> ast.expr:
    return ast.IfExp(test=ast.Constant(chosen), body=expression(layer), orelse=expression(_IDENTITY))


def _plan(full: ClassDef, bare: ClassDef, site, key) -> tuple | None:
    """(full's rewritten forward, its init, bare's init) when taking the site's call out of full's forward
    gives bare's forward and full's init without the sub-module is bare's; else None."""
    index, attr, layer = site
    lines, returns = _replace_call(full, index, lambda call: call.args[0])
    if forward_key(lines, returns, full.params) != forward_key(bare.forward_body, bare.return_exprs, bare.params):
        return None
    self_call = lambda call: ast.Call(  # noqa: E731
        func=ast.Attribute(value=ast.Name(id="self", ctx=ast.Load()), attr=attr, ctx=ast.Load()),
        args=call.args,
        keywords=[],
    )
    forward = _replace_call(full, index, self_call)
    if layer is not None:  # an activation: declared last, as the source declares it after the layers it follows
        full_init = [*full.init_body, Statement.declare(attr, _choice(layer, True))]
        bare_init = [*bare.init_body, Statement.declare(attr, _choice(layer, False))]
    else:
        at = [s.attribute_target for s in full.init_body].index(attr)
        layer = render_expr(full.init_body[at].value)
        full_init = [*full.init_body[:at], Statement.declare(attr, _choice(layer, True)), *full.init_body[at + 1 :]]
        bare_init = [*bare.init_body[:at], Statement.declare(attr, _choice(layer, False)), *bare.init_body[at:]]
    merged_full = copy.copy(full)
    merged_full.init_body, (merged_full.forward_body, merged_full.return_exprs) = full_init, forward
    merged_bare = copy.copy(bare)
    merged_bare.init_body = bare_init
    merged_bare.forward_body, merged_bare.return_exprs, merged_bare.params = forward[0], forward[1], full.params
    if key(merged_full) != key(merged_bare):  # the rest of __init__ differs beyond literals: two classes
        return None
    return forward, full_init, bare_init


def _apply(full: list[ClassDef], bare: list[ClassDef], site, plan) -> None:
    """Give every class of both groups the forward that calls the sub-module and the declaration of its
    choice; the other declarations (their literals) stay each instance's own."""
    index, attr, layer = site
    template = full[0]
    forward, full_init, bare_init = plan
    for c in full:
        if c is template:
            c.init_body = full_init
        else:
            at = len(c.init_body) if layer is not None else [s.attribute_target for s in c.init_body].index(attr)
            value = c.init_body[at].value if layer is None else expression(layer)
            c.init_body = [*c.init_body[:at], Statement.declare(attr, _choice(render_expr(value), True)), *c.init_body[at + (layer is None) :]]  # fmt: skip
        c.forward_body, c.return_exprs = list(forward[0]), list(forward[1])
        c.params, c.hints = list(template.params), dict(template.hints)
    declared = bare_init[len(bare[0].init_body) if layer is not None else [s.attribute_target for s in template.init_body].index(attr)]  # fmt: skip
    for c in bare:
        at = len(c.init_body) if layer is not None else [s.attribute_target for s in template.init_body].index(attr)
        c.init_body = [*c.init_body[:at], declared, *c.init_body[at:]]
        c.forward_body, c.return_exprs = list(forward[0]), list(forward[1])
        c.params, c.hints = list(template.params), dict(template.hints)
