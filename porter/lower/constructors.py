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

from porter.codegen.statements import Statement, render_expr
from porter.lower.optional import align_optional, choice_name, forward_key
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
        # instances differing in an optional sub-module (an activation or an identity) call it unconditionally
        while align_optional(classes, lambda c, known=known: _key(c, known)):
            pass
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
        _common_values_as_defaults(classes, root_init)


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


def _common_values_as_defaults(classes: list[ClassDef], root_init: list[Statement]) -> None:
    """A keyword argument that most calls of a class pass the same literal (ResNetConvLayer's `activation=True`,
    `padding=[1, 1]`) gets that literal as its default, as the source's signature has one, and the calls that
    pass it leave it out: `ResNetConvLayer(out_channels, out_channels, stride=[1, 1], activation=False)`.
    Only where every call passes the argument by keyword as a literal, at least two calls and more than half
    of them agree."""
    bodies = [*(c.init_body for c in classes), root_init]
    calls: dict[str, list[ast.Call]] = {c.name: [] for c in classes if c.init_params}
    for body in bodies:
        for stmt in body:
            for node in ast.walk(stmt.tree):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in calls:
                    calls[node.func.id].append(node)
    defaults: dict[str, dict[str, str]] = {}  # class -> argument -> the literal's source
    for c in classes:
        found = calls.get(c.name, [])
        for param in c.init_params:
            passed = [next((k.value for k in call.keywords if k.arg == param), None) for call in found]
            if not passed or not all(v is not None and _literal_value(v) for v in passed):
                continue
            dumps = [ast.dump(v) for v in passed]
            common = max(dumps, key=dumps.count)
            if dumps.count(common) >= 2 and 2 * dumps.count(common) > len(dumps):
                defaults.setdefault(c.name, {})[param] = render_expr(passed[dumps.index(common)])
    if not defaults:
        return
    for c in classes:
        chosen = defaults.get(c.name, {})
        # defaults last: every argument that has one is passed by keyword, so the calls stay right; a list is
        # written as a tuple (a mutable default is shared between calls), which both frameworks' layers take
        c.init_params = [p for p in c.init_params if p not in chosen] + list(chosen)
        c.defaults = {p: _immutable(v) for p, v in chosen.items()}
    for body in bodies:
        body[:] = [_without_defaults(stmt, defaults) for stmt in body]


def _immutable(source: str) -> str:
    value = ast.literal_eval(source)
    return repr(tuple(value)) if isinstance(value, list) else source


def _literal_value(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _without_defaults(stmt: Statement, defaults: dict[str, dict[str, str]]) -> Statement:
    """The statement with every keyword argument equal to its class's default left out of the call."""

    def dropped(call: ast.Call) -> list[ast.keyword]:
        chosen = defaults.get(call.func.id, {}) if isinstance(call.func, ast.Name) else {}
        return [k for k in call.keywords if k.arg in chosen and render_expr(k.value) == chosen[k.arg]]

    if not any(isinstance(n, ast.Call) and dropped(n) for n in ast.walk(stmt.tree)):
        return stmt
    tree = copy.deepcopy(stmt.tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            gone = {id(k) for k in dropped(node)}
            node.keywords = [k for k in node.keywords if id(k) not in gone]
    return Statement(ast.fix_missing_locations(tree))


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
        groups.setdefault(_key(c, known, literals), []).append((c, literals))
    return [members for members in groups.values() if len(members) > 1]


def _key(c: ClassDef, known: dict[str, list[str]], literals: list | None = None) -> tuple:
    """What instances of one class share: the source class, the forward, and `__init__` up to its
    constructor literals (collected into `literals`, with their argument names)."""
    found = [] if literals is None else literals

    def placeholder(node: ast.expr, name: str) -> ast.expr:
        found.append((node, name))
        return ast.Name(id="_", ctx=ast.Load())

    template = [_Literals(placeholder, known).visit(copy.deepcopy(s.tree)) for s in c.init_body]
    return (
        c.source_class,
        len(c.params),
        tuple(ast.dump(t) for t in template),
        forward_key(c.forward_body, c.return_exprs, c.params),
    )


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
    # before it: a BatchNorm's num_features is the out_channels of the conv before it), one that is a fixed
    # multiple of it takes `4 * out_channels` (a ConvNeXt block's pwconv1); one layer's own sizes stay apart
    # (a square conv keeps in_channels and out_channels), its keywords may not (a depthwise conv's groups)
    values = [[node for node, _ in found] for _, found in members]
    alias: dict[int, tuple[int, int]] = {}  # literal -> (the literal whose argument it takes, the factor)
    for k, i in enumerate(varying):
        layer, positional_here = literals[i][1].rsplit(".", 1)[0], _is_positional(literals[i][1])
        for j in reversed(varying[:k]):
            if j in alias or (literals[j][1].rsplit(".", 1)[0] == layer and positional_here):
                continue
            if all(d[i] == d[j] for d in dumps):
                alias[i] = (j, 1)
                break
            factor = _factor([v[i] for v in values], [v[j] for v in values])
            if factor and literals[j][1].rsplit(".", 1)[0] != layer:
                alias[i] = (j, factor)
                break
    own = [i for i in varying if i not in alias]
    positional = [i for i in own if _is_positional(literals[i][1])]
    keyword = [i for i in own if i not in positional]
    order = positional + keyword
    names = dict(zip(order, _argument_names([literals[i][1] for i in order])))
    counter = iter(range(len(literals)))

    def parameter(node: ast.expr, _name: str) -> ast.expr:
        index = next(counter)
        if index in names:
            return ast.Name(id=names[index], ctx=ast.Load())
        if index in alias:
            j, factor = alias[index]
            name = ast.Name(id=names[j], ctx=ast.Load())
            return name if factor == 1 else ast.BinOp(left=ast.Constant(factor), op=ast.Mult(), right=name)
        return node

    first.init_body = [
        Statement(ast.fix_missing_locations(_Literals(parameter, known).visit(copy.deepcopy(s.tree))))
        for s in first.init_body
    ]
    first.init_params = [names[i] for i in order]
    keywords = [None if i in positional else names[i] for i in order]
    return {c.name: (first.name, [found[i][0] for i in order], keywords) for c, found in members}


def _factor(values: list[ast.expr], of: list[ast.expr]) -> int | None:
    """The integer k > 1 with value == k * base in every instance, if there is one."""
    pairs = [
        (v.value, b.value) for v, b in zip(values, of) if isinstance(v, ast.Constant) and isinstance(b, ast.Constant)
    ]
    if len(pairs) != len(values) or not all(type(v) is int and type(b) is int and b > 0 for v, b in pairs):
        return None
    factors = {v // b if v % b == 0 else 0 for v, b in pairs}
    return factors.pop() if len(factors) == 1 and min(factors) > 1 else None


def _is_positional(slot: str) -> bool:
    """A literal the layer takes positionally (its sizes); `_Literals` names the others after their keyword."""
    argument = slot.rsplit(".", 1)[1]
    return argument.startswith(("arg", "dim")) or any(argument in names for names in POSITIONAL_NAMES.values())


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
        self.parameter = False

    def visit_Assign(self, node: ast.Assign) -> ast.Assign:
        target = node.targets[0] if len(node.targets) == 1 else None
        if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
            self.attr = target.attr
        self.parameter = is_parameter_declaration(node.value)
        value = node.value
        members = value.args[0] if isinstance(value, ast.Call) and len(value.args) == 1 else None
        if isinstance(members, ast.List) and members.elts and all(isinstance(e, ast.Call) for e in members.elts):
            # a module list: each member is a layer of its own (`layer.0`, `layer.1`), so the second conv's
            # in_channels can be the first's out_channels
            attr = self.attr
            for index, member in enumerate(members.elts):
                self.attr = f"{attr}.{index}"
                members.elts[index] = self.visit(member)
            self.attr = attr
            return node
        node.value = self.visit(value)
        return node

    def visit_IfExp(self, node: ast.IfExp) -> ast.IfExp:
        """`nn.ReLU() if True else nn.Identity()` (porter.lower.optional): the choice is a literal too."""
        self.generic_visit(node)
        if isinstance(node.test, ast.Constant) and type(node.test.value) is bool:
            name = self.attr
            if all(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) for n in (node.body, node.orelse)):
                # one class or another (DeepseekV3MoE or DeepseekV3MLP): named for what the first one is, `moe`
                name = choice_name(node.body.func.id, node.orelse.func.id) or name
            node.test = self.replace(node.test, f"{self.attr}.{name}")
        return node

    def visit_Call(self, node: ast.Call) -> ast.Call:
        self.generic_visit(node)
        layer = render_expr(node.func).rsplit(".", 1)[-1]
        if self.parameter and node.args and _shape_literal(node.args[0]):
            # a parameter's shape (`create_parameter([32], ...)`, `Parameter(ops.zeros([32], ...))`): each size
            # on its own, so an RMSNorm's width is its constructor's argument, `[dim]`, as a hand port writes it
            sizes = node.args[0].elts
            slots = ["dim"] if len(sizes) == 1 else [f"dim{k}" for k in range(len(sizes))]
            node.args[0].elts = [self.replace(e, f"{self.attr}.{slot}") for e, slot in zip(sizes, slots)]
            return node
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


def is_parameter_declaration(value: ast.expr) -> bool:
    """A bare parameter (Paddle's `self.create_parameter(...)`, MindSpore's `mindspore.Parameter(...)`), not a
    layer."""
    text = render_expr(value)
    return "create_parameter" in text or "Parameter(" in text


def _shape_literal(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.List | ast.Tuple)
        and bool(node.elts)
        and all(isinstance(e, ast.Constant) and type(e.value) is int and e.value >= 0 for e in node.elts)
    )


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
