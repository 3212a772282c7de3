"""Instances of one source class that differ only in an optional sub-module become one class whose constructor
takes the choice, as the source's does: transformers' ResNetConvLayer holds `nn.ReLU()` or `nn.Identity()`
(its activation), ResNetBasicLayer a ResNetShortCut or `nn.Identity()` (its shortcut). The export has no node
for an identity, so one instance's forward reads `relu(h)` or `h + self.shortcut(x)` where another's reads
`h` or `h + x`. Both are written with the sub-module called unconditionally:

    self.activation = nn.ReLU() if activation else nn.Identity()
    ...
    return self.activation(self.normalization(self.convolution(x)))

Instances that hold different classes in one attribute, called alike (DeepSeek-V3's decoder layer holds a
DeepseekV3MLP in its first layers, a DeepseekV3MoE in the others), are one class the same way:

    self.mlp = DeepseekV3MoE() if moe else DeepseekV3MLP(64)

Only where that call is the whole difference: the forwards must be the same once it is taken out, and the
`__init__` bodies the same up to constructor literals and that one declaration. The choice is written as a
boolean literal in each instance's declaration (`nn.ReLU() if True else nn.Identity()`), which
porter.lower.constructors then turns into the constructor argument like any other literal.
"""

from __future__ import annotations

import ast
import copy
import keyword
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
            if _align_alternative(full, bare, classes, key):
                return True
    return False


def forward_key(body: list[Statement], returns: list[str], params: list[str]) -> tuple[str, ...]:
    """The forward with its locals numbered in order of appearance (`x` and `hidden` are the same local) and
    inlined again under those names: each class was inlined under its own names, and a longer name can keep
    a value on a line of its own in one instance (`h = ...`) that another's shorter name inlined."""
    from porter.lower.structure import inline_single_use  # structure imports this package's merge step

    names = list(params) + [name for stmt in body for name in stmt.stores]
    mapping = {name: f"v_{i}" for i, name in enumerate(dict.fromkeys(names))}
    lines = [stmt.substituted(mapping) for stmt in body]
    outs = [substitute_expr(text, mapping) for text in returns]
    inline_single_use(lines, outs)
    # numbered again once inlined: a local that one instance kept on a line of its own shifts no later number
    names = list(mapping[p] for p in params) + [name for stmt in lines for name in stmt.stores]
    mapping = {name: f"v{i}" for i, name in enumerate(dict.fromkeys(names))}
    lines = [stmt.substituted(mapping) for stmt in lines]
    outs = [substitute_expr(text, mapping) for text in outs]
    return (*(stmt.render() for stmt in lines), "#", *outs)


def _trees(c: ClassDef) -> list[ast.AST]:
    return [copy.deepcopy(s.tree) for s in c.forward_body] + [expression(text) for text in c.return_exprs]


def _calls(trees: list[ast.AST]) -> list[ast.Call]:
    return [n for tree in trees for n in ast.walk(tree) if isinstance(n, ast.Call)]


def _sites(c: ClassDef) -> list[tuple[int, str, str, str | None]]:
    """(index of the call among the forward's calls, the attribute that holds the sub-module, its kind, the
    layer to declare for an activation) for each call that could be an optional sub-module: an activation
    function, a sub-module called once, or the calls of a whole module list one after the other (ConvNeXt's
    downsampling layers, an empty nn.ModuleList in the stages that keep their size)."""
    declared = [s.attribute_target for s in c.init_body]
    trees = _trees(c)
    sites = []
    for index, call in enumerate(_calls(trees)):
        if len(call.args) != 1 or call.keywords or isinstance(call.args[0], ast.Starred):
            continue
        name = render_expr(call.func).rsplit(".", 1)[-1]
        attr = _list_attr(call.func) if isinstance(call.func, ast.Subscript) else None
        if name in ACTIVATION_LAYERS and not is_self_attr(call.func) and "activation" not in declared:
            sites.append((index, "activation", "activation", f"nn.{ACTIVATION_LAYERS[name]}()"))
        elif is_self_attr(call.func) and declared.count(call.func.attr) == 1:
            uses = sum(1 for tree in trees for n in ast.walk(tree) if is_self_attr(n, call.func.attr))
            decl = c.init_body[declared.index(call.func.attr)]
            if uses == 1 and isinstance(decl.value, ast.Call):
                sites.append((index, call.func.attr, "module", None))
        elif attr is not None and declared.count(attr) == 1 and _whole_list(c, call, attr, trees):
            sites.append((index, attr, "list", None))
    return sites


def _list_attr(node: ast.Subscript) -> str | None:
    """`L` of `self.L[k]` with a literal k."""
    if is_self_attr(node.value) and isinstance(node.slice, ast.Constant) and type(node.slice.value) is int:
        return node.value.attr
    return None


def _chain(call: ast.Call, attr: str) -> list[ast.Call]:
    """The calls `self.L[k](self.L[k - 1](...))` from the outermost in."""
    chain = []
    while isinstance(call, ast.Call) and isinstance(call.func, ast.Subscript) and _list_attr(call.func) == attr:
        chain.append(call)
        if len(call.args) != 1 or call.keywords:
            break
        call = call.args[0]
    return chain


def _whole_list(c: ClassDef, call: ast.Call, attr: str, trees: list[ast.AST]) -> bool:
    """The call is the last of a chain calling every member of the list once, in order, on a named value."""
    decl = c.init_body[[s.attribute_target for s in c.init_body].index(attr)].value
    if not (isinstance(decl, ast.Call) and len(decl.args) == 1 and isinstance(decl.args[0], ast.List)):
        return False
    chain = _chain(call, attr)
    size = len(decl.args[0].elts)
    if [link.func.slice.value for link in chain] != list(range(size - 1, -1, -1)):
        return False
    uses = sum(1 for tree in trees for n in ast.walk(tree) if is_self_attr(n, attr))
    return uses == size and isinstance(chain[-1].args[0], ast.Name)


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


def _innermost(call: ast.Call, attr: str) -> ast.Name:
    return _chain(call, attr)[-1].args[0]


def _looped(c: ClassDef, index: int, attr: str) -> tuple[list, list]:
    """The forward with the list's chain of calls written as the source's loop over the list
    (`for layer in self.downsampling_layer: features = layer(features)`), which an empty list skips."""
    trees = _trees(c)
    outer = _calls(trees)[index]
    value = _innermost(outer, attr).id
    names = {n.id for tree in trees for n in ast.walk(tree) if isinstance(n, ast.Name)}
    reads = sum(1 for tree in trees for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == value)
    carried = value if reads == 1 else _fresh("hidden", names)  # the value itself, unless read again later
    loop_var = _fresh(attr[:-1] if attr.endswith("s") else "layer", names | {carried})
    at = next(i for i, tree in enumerate(trees) if any(n is outer for n in ast.walk(tree)))
    lines, returns = _replace_call(c, index, lambda _call: ast.Name(id=carried, ctx=ast.Load()))
    loop = Statement.parse(f"for {loop_var} in self.{attr}:\n    {carried} = {loop_var}({carried})")
    if carried != value:
        loop = [Statement.assign([carried], value), *loop]
    at = min(at, len(lines))  # a chain in a return expression: the loop ends the body
    return [*lines[:at], *loop, *lines[at:]], returns


def _fresh(base: str, taken: set[str]) -> str:
    name, n = base, 1
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    return name


def _declared(kind: str, value: ast.expr, chosen: bool) -> ast.expr:
    """The declaration holding the choice as a boolean literal: the sub-module or an identity, the list's
    members or none."""
    value = copy.deepcopy(value)
    if kind == "list":
        members = value.args[0]
        value.args = [ast.IfExp(test=ast.Constant(chosen), body=members, orelse=ast.List(elts=[], ctx=ast.Load()))]
        return value
    return ast.IfExp(test=ast.Constant(chosen), body=value, orelse=expression(_IDENTITY))


def _plan(full: ClassDef, bare: ClassDef, site, key) -> tuple | None:
    """(full's rewritten forward, the declaration's position, its value in full) when taking the site's
    call out of full's forward gives bare's forward and full's init without the sub-module is bare's."""
    index, attr, kind, layer = site
    if kind == "list":
        lines, returns = _replace_call(full, index, lambda call: _innermost(call, attr))
    else:
        lines, returns = _replace_call(full, index, lambda call: call.args[0])
    if forward_key(lines, returns, full.params) != forward_key(bare.forward_body, bare.return_exprs, bare.params):
        return None
    if kind == "list":
        forward = _looped(full, index, attr)
    else:
        self_call = lambda call: ast.Call(  # noqa: E731
            func=ast.Attribute(value=ast.Name(id="self", ctx=ast.Load()), attr=attr, ctx=ast.Load()),
            args=call.args,
            keywords=[],
        )
        forward = _replace_call(full, index, self_call)
    if kind == "activation":  # declared last, as the source declares it after the layers it follows
        at, value = len(full.init_body), expression(layer)
    else:
        at = [s.attribute_target for s in full.init_body].index(attr)
        value = full.init_body[at].value
    merged_full = _rewritten(full, forward, at, kind, attr, value, True, full)
    merged_bare = _rewritten(bare, forward, at, kind, attr, value, False, full)
    if key(merged_full) != key(merged_bare):  # the rest of __init__ differs beyond literals: two classes
        return None
    return forward, at, value


def _rewritten(c: ClassDef, forward, at: int, kind: str, attr: str, value, chosen: bool, template) -> ClassDef:
    """A copy of c with the template's forward and the declaration of the choice: its own declaration
    where it has the sub-module (chosen), the template's otherwise."""
    replaced = 1 if chosen and kind != "activation" else 0
    own = c.init_body[at].value if replaced else value
    init = [*c.init_body[:at], Statement.declare(attr, _declared(kind, own, chosen)), *c.init_body[at + replaced :]]
    rewritten = copy.copy(c)
    rewritten.init_body = init
    rewritten.forward_body, rewritten.return_exprs = list(forward[0]), list(forward[1])
    rewritten.params, rewritten.hints = list(template.params), dict(template.hints)
    return rewritten


def _apply(full: list[ClassDef], bare: list[ClassDef], site, plan) -> None:
    """Give every class of both groups the forward that calls the sub-module and the declaration of its
    choice; the other declarations (their literals) stay each instance's own; a bare instance declares the
    template's sub-module, never built."""
    _, attr, kind, _ = site
    forward, at, value = plan
    template = full[0]
    for group, chosen in ((full, True), (bare, False)):
        for c in group:
            new = _rewritten(c, forward, at, kind, attr, value, chosen, template)
            c.init_body, c.forward_body, c.return_exprs = new.init_body, new.forward_body, new.return_exprs
            c.params, c.hints = new.params, new.hints


def _align_alternative(first: list[ClassDef], other: list[ClassDef], classes: list[ClassDef], key) -> bool:
    """Rewrite both groups when their forwards are the same and their `__init__` bodies differ only in which
    class one attribute holds (classes of two source classes: two classes of one source class may still
    merge by their literals): each declares `Other(...) if choice else First(...)`, its own constructor
    call in its branch, the other group's first instance's in the other branch (never built)."""
    a, b = first[0], other[0]
    if forward_key(a.forward_body, a.return_exprs, a.params) != forward_key(b.forward_body, b.return_exprs, b.params):
        return False
    at = _alternative_slot(a, b, {c.name: c.source_class for c in classes})
    if at is None:
        return False
    first_call, other_call = a.init_body[at].value, b.init_body[at].value
    attr = a.init_body[at].attribute_target

    def rewritten(c: ClassDef, chosen: bool) -> ClassDef:
        own = c.init_body[at].value
        body, orelse = (own, first_call) if chosen else (other_call, own)
        choice = ast.IfExp(test=ast.Constant(chosen), body=copy.deepcopy(body), orelse=copy.deepcopy(orelse))
        new = copy.copy(c)
        new.init_body = [*c.init_body[:at], Statement.declare(attr, choice), *c.init_body[at + 1 :]]
        return new

    if key(rewritten(a, False)) != key(rewritten(b, True)):  # the rest of __init__ differs beyond literals
        return False
    for group, chosen in ((first, False), (other, True)):
        for c in group:
            c.init_body = rewritten(c, chosen).init_body
    return True


def _alternative_slot(a: ClassDef, b: ClassDef, source_of: dict[str, str]) -> int | None:
    """The position of the one declaration where a and b construct generated classes of two different source
    classes under one attribute; None unless every other declaration assigns the same attribute."""
    if len(a.init_body) != len(b.init_body):
        return None
    found = None
    for k, (x, y) in enumerate(zip(a.init_body, b.init_body)):
        if x.attribute_target is None or x.attribute_target != y.attribute_target:
            return None
        names = [_class_called(s.value) for s in (x, y)]
        if names[0] is None or names[1] is None or names[0] == names[1]:
            continue
        if names[0] not in source_of or names[1] not in source_of or source_of[names[0]] == source_of[names[1]]:
            return None
        if found is not None:
            return None
        found = k
    return found


def _class_called(value: ast.expr) -> str | None:
    """`Name` of a constructor call `Name(...)` (a generated class), else None."""
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
        return value.func.id
    return None


def choice_name(chosen: str, other: str) -> str | None:
    """The constructor argument that picks `chosen` over `other`: what tells their names apart, after the
    longest common prefix and suffix that end and start at a word (DeepseekV3MoE against DeepseekV3MLP: `moe`,
    SparseMLP against DenseMLP: `sparse`); None when nothing does."""
    cut = 0
    for k in range(1, min(len(chosen), len(other)) + 1):
        if chosen[:k] != other[:k]:
            break
        if k < len(chosen) and k < len(other) and chosen[k].isupper() and other[k].isupper():
            cut = k
    end = len(chosen)
    for k in range(1, min(len(chosen), len(other)) - cut):  # and the longest common suffix starting a word
        if chosen[-k:] != other[-k:]:
            break
        if chosen[-k].isupper() and other[-k].isupper():
            end = len(chosen) - k
    rest = chosen[cut:end].lower()
    return rest if rest.isidentifier() and not keyword.iskeyword(rest) else None
