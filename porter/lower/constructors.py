"""Instances of one source module class that differ only in the literals their `__init__` passes to layer
constructors (ResNet's conv layers: channels, kernel size, stride) become one class taking those literals as
constructor arguments, as the source's class does: `ResNetConvLayer(16, 32, kernel_size=[3, 3], stride=[2, 2])`
instead of ResNetConvLayer, ResNetConvLayer2, ... ResNetConvLayer5.

It runs after the module tree is lowered (porter.lower.structure): classes whose bodies are the same up to
those literals are merged, every constructor call of a merged class gets the values of its instance, and it
repeats, so a parent whose instances now differ only in the arguments they pass to a merged child merges too.
A forward that differs (a literal in a reshape, a layer more) keeps its classes apart: only `__init__`
literals move, never anything the forward computes with.
"""

from __future__ import annotations

import ast
import copy
from typing import TYPE_CHECKING

from porter.codegen.statements import Statement, canonical, render_expr
from porter.naming import identifier

if TYPE_CHECKING:  # structure imports this module
    from porter.lower.structure import ClassDef

# The leading positional arguments of the framework layers, by the names the frameworks give them: a merged
# class's constructor takes them under these names (a hand port's `in_channels`, not `arg0`).
POSITIONAL_NAMES = {
    "Linear": ("in_features", "out_features"),
    "Dense": ("in_channels", "out_channels"),
    "Conv1D": ("in_channels", "out_channels"),
    "Conv2D": ("in_channels", "out_channels"),
    "Conv3D": ("in_channels", "out_channels"),
    "Conv1d": ("in_channels", "out_channels"),
    "Conv2d": ("in_channels", "out_channels"),
    "Conv3d": ("in_channels", "out_channels"),
    "Embedding": ("num_embeddings", "embedding_dim"),
    "BatchNorm1D": ("num_features",),
    "BatchNorm2D": ("num_features",),
    "BatchNorm1d": ("num_features",),
    "BatchNorm2d": ("num_features",),
    "LayerNorm": ("normalized_shape",),
    "GroupNorm": ("num_groups", "num_channels"),
}
_MERGE_ROUNDS = 8  # a parent merges in the round after its children: deeper trees than this stay apart


def merge_by_constructor(classes: list[ClassDef], root_init: list[Statement]) -> None:
    """Merge, in place, the classes of one source class whose bodies differ only in constructor literals;
    rewrite every constructor call in the classes' and the root's `__init__` bodies to match."""
    merged = False
    for _ in range(_MERGE_ROUNDS):
        renames: dict[str, tuple[str, list[ast.expr], list[str | None]]] = {}
        known = {c.name: c.init_params for c in classes if c.init_params}
        for members in _groups(classes, known):
            renames.update(_merge(members, known))
        if not renames:
            break
        merged = True
        classes[:] = [c for c in classes if renames.get(c.name, (c.name,))[0] == c.name]
        for body in [*(c.init_body for c in classes), root_init]:
            body[:] = [_with_arguments(stmt, renames) for stmt in body]
    if merged:
        _renumber(classes, root_init)


def _renumber(classes: list[ClassDef], root_init: list[Statement]) -> None:
    """Number the classes left of each source class again from the first (ResNetConvLayer3 -> ResNetConvLayer2
    once ResNetConvLayer2 merged into ResNetConvLayer), unless a new name is another class's."""
    seen: dict[str, int] = {}
    wanted = {}
    for c in classes:
        base = class_base_name(c.source_class) if c.source_class else c.name
        seen[base] = seen.get(base, 0) + 1
        wanted[c.name] = base if seen[base] == 1 else f"{base}{seen[base]}"
    if len(set(wanted.values())) != len(wanted):
        return
    renames = {old: (new, [], []) for old, new in wanted.items() if old != new}
    if not renames:
        return
    for c in classes:
        c.name = wanted[c.name]
    for body in [*(c.init_body for c in classes), root_init]:
        body[:] = [_with_arguments(stmt, renames) for stmt in body]


def class_base_name(source_class: str) -> str:
    """A generated class's name for a source class (numbered from the second class that is not the first)."""
    base = identifier(source_class, "Module")
    return base[0].upper() + base[1:]


def _groups(classes: list[ClassDef], known: dict[str, list[str]]) -> list[list[tuple[ClassDef, list]]]:
    """Classes of one source class, with one template: each with its literals and their argument names."""
    groups: dict[tuple, list] = {}
    for c in classes:
        if c.base is not None or c.init_params or not c.source_class:  # a layer subclass has its own sizes
            continue
        literals: list[tuple[ast.expr, str]] = []

        def placeholder(node: ast.expr, name: str, found=literals) -> ast.expr:
            found.append((node, name))
            return ast.Name(id="_", ctx=ast.Load())

        template = [_Literals(placeholder, known).visit(copy.deepcopy(s.tree)) for s in c.init_body]
        key = (
            c.source_class,
            len(c.params),
            tuple(ast.dump(t) for t in template),
            canonical(c.forward_body, c.return_exprs, c.params),
        )
        groups.setdefault(key, []).append((c, literals))
    return [members for members in groups.values() if len(members) > 1]


def _merge(members, known: dict[str, list[str]]) -> dict[str, tuple[str, list[ast.expr], list[str | None]]]:
    """{class name: (the merged class, its instance's values, their keywords)} for one group; the first
    class is kept and takes the literals that differ between the group's classes as constructor arguments:
    one argument for literals equal in every instance (a BatchNorm's num_features is the conv's out_channels),
    the layers' positional sizes first, passed positionally, the rest by keyword."""
    first, literals = members[0]
    dumps = [[ast.dump(node) for node, _ in found] for _, found in members]
    varying = [i for i in range(len(literals)) if len({d[i] for d in dumps}) > 1]
    if not varying:
        return {}
    # a literal equal to another layer's varying one in every instance takes its argument (the nearest
    # before it: a BatchNorm's num_features is the out_channels of the conv before it); one layer's own
    # literals stay apart (a square conv keeps in_channels and out_channels)
    same_as: dict[int, int] = {}
    for k, i in enumerate(varying):
        layer = literals[i][1].rsplit(".", 1)[0]
        same_as[i] = next(
            (
                j
                for j in reversed(varying[:k])
                if same_as[j] == j and literals[j][1].rsplit(".", 1)[0] != layer and all(d[i] == d[j] for d in dumps)
            ),
            i,
        )
    own = [i for i in varying if same_as[i] == i]
    positional = [i for i in own if _is_positional(literals[i][1])]
    keyword = [i for i in own if i not in positional]
    order = positional + keyword
    names = dict(zip(order, _argument_names([literals[i][1] for i in order])))
    by_position = {i: names[same_as[i]] for i in varying}
    counter = iter(range(len(literals)))

    def parameter(node: ast.expr, _name: str) -> ast.expr:
        index = next(counter)
        return ast.Name(id=by_position[index], ctx=ast.Load()) if index in by_position else node

    first.init_body = [
        Statement(ast.fix_missing_locations(_Literals(parameter, known).visit(copy.deepcopy(s.tree))))
        for s in first.init_body
    ]
    first.init_params = [names[i] for i in order]
    keywords = [None if i in positional else names[i] for i in order]
    return {c.name: (first.name, [found[i][0] for i in order], keywords) for c, found in members}


def _is_positional(slot: str) -> bool:
    """A literal the layer takes positionally (its sizes); `_Literals` names the others after their keyword."""
    argument = slot.rsplit(".", 1)[1]
    return argument.startswith("arg") or any(argument in names for names in POSITIONAL_NAMES.values())


def _argument_names(slots: list[str]) -> list[str]:
    """The argument names: the layer's own name for the value (`stride`), qualified by its attribute where
    two layers' values would share it (`shortcut_stride`)."""
    bare = [slot.rsplit(".", 1)[1] for slot in slots]
    names = [b if bare.count(b) == 1 else slot.replace(".", "_") for b, slot in zip(bare, slots)]
    seen: dict[str, int] = {}
    unique = []
    for name in names:  # one layer taking the same keyword twice cannot happen; positions beyond the table can
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return unique


class _Literals(ast.NodeTransformer):
    """Visit the literals passed to constructors in `self.attr = Layer(...)` statements, in one fixed order:
    `replace(node, 'attr.argument')` gives each one's replacement. `known`: the argument names of generated
    classes that take some (a merged child's `in_channels`)."""

    def __init__(self, replace, known: dict[str, list[str]]):
        self.replace = replace
        self.known = known
        self.attr = "layer"

    def visit_Assign(self, node: ast.Assign) -> ast.Assign:
        target = node.targets[0] if len(node.targets) == 1 else None
        if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
            self.attr = target.attr
        node.value = self.visit(node.value)
        return node

    def visit_Call(self, node: ast.Call) -> ast.Call:
        self.generic_visit(node)
        layer = render_expr(node.func).rsplit(".", 1)[-1]
        if not (layer[:1].isupper() and isinstance(node.func, ast.Name | ast.Attribute)):
            return node  # a function (paddle.to_tensor), not a layer's constructor
        positional = POSITIONAL_NAMES.get(layer) or tuple(self.known.get(layer, ()))
        node.args = [
            self.replace(arg, f"{self.attr}.{positional[i] if i < len(positional) else f'arg{i}'}")
            if _literal(arg)
            else arg
            for i, arg in enumerate(node.args)
        ]
        for keyword in node.keywords:
            if keyword.arg and _literal(keyword.value):
                keyword.value = self.replace(keyword.value, f"{self.attr}.{keyword.arg}")
        return node


def _literal(node: ast.expr) -> bool:
    """A number, a boolean, or a list/tuple of them (kernel_size=[3, 3]); not a string, not None."""
    if isinstance(node, ast.List | ast.Tuple):
        return bool(node.elts) and all(_literal(e) for e in node.elts)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return _literal(node.operand)
    return isinstance(node, ast.Constant) and isinstance(node.value, int | float) and node.value is not None


def _with_arguments(stmt: Statement, renames: dict) -> Statement:
    """The statement with each call of a merged class calling the kept class with its instance's values."""
    if not any(_merged_call(n, renames) for n in ast.walk(stmt.tree)):
        return stmt
    tree = copy.deepcopy(stmt.tree)
    for node in ast.walk(tree):
        if _merged_call(node, renames):
            name, values, keywords = renames[node.func.id]
            node.func = ast.Name(id=name, ctx=ast.Load())
            node.args = [*node.args, *(copy.deepcopy(v) for v, k in zip(values, keywords) if k is None)]
            node.keywords = [
                *node.keywords,
                *(ast.keyword(arg=k, value=copy.deepcopy(v)) for v, k in zip(values, keywords) if k is not None),
            ]
    return Statement(ast.fix_missing_locations(tree))


def _merged_call(node: ast.AST, renames: dict) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in renames
