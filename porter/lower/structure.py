"""Lowering into the source's module tree: one class per source module, called from its parent.

Lowering itself (porter.lower) turns one node into statements. This module decides where those
statements go: each scope of porter.lower.hierarchy's module tree is lowered into its own class body, values
that cross a module boundary become forward parameters and return values, instances whose bodies are
the same become one class, a module that lowered to a single framework layer (a torch Linear becomes
nn.Linear) is that layer, numbered siblings (`layers.0`, `layers.1`) live in the framework's module
list, and a chain of calls of one class over such a list is written as a loop. Parameters are declared
on the module that owns them, so the port's state_dict keys are the source's.
"""

from __future__ import annotations

import ast
import copy
import heapq
import itertools
import re
from dataclasses import dataclass, field

from porter.codegen.statements import (
    Statement,
    canonical,
    expression,
    is_self_attr,
    name_reads,
    render_expr,
    substitute_expr,
)
from porter.graphs import node_reads
from porter.lower.constructors import POSITIONAL_NAMES, class_base_name, is_parameter_declaration, merge_by_constructor
from porter.lower.hierarchy import Scope, build_module_tree, common_ancestor
from porter.lower.lowering import Lowering
from porter.lower.program import ScopeState
from porter.naming import identifier


@dataclass
class ClassDef:
    """A generated module class (the root class is the Program itself)."""

    name: str
    init_body: list[Statement]
    params: list[str]
    forward_body: list[Statement]
    return_exprs: list[str]
    # a class that is its one framework layer plus some statements subclasses it: (layer class, its
    # constructor's arguments); None for the target's plain module class
    base: tuple[str, str] | None = None
    hints: dict[str, str] = field(default_factory=dict)  # local -> the source's variable (renaming's choice)
    init_params: list[str] = field(default_factory=list)  # constructor arguments (a layer subclass's sizes...)
    source_class: str = ""  # the source's class (ResNetConvLayer for ResNetConvLayer2 before the merge)
    defaults: dict[str, str] = field(default_factory=dict)  # init_params' defaults, as Python literals


@dataclass
class _Call:
    line: int  # index in the caller's forward_body
    attr: str  # the list attribute ('layers'), or the plain attribute
    index: int | None  # position in the list, None for a plain attribute
    class_name: str | None  # None when the module became a framework layer
    args: list[str]
    outs: list[str]


@dataclass
class _ChildPlan:
    attr: str  # attribute on the parent ('self_attn', or the list 'layers', or the dict 'parametrizations')
    index: int | None
    prefix: str  # state_dict key prefix ('layers.0.')
    key: str | None = None  # the name in a dict of modules (torch's ModuleDict: 'weight')


@dataclass
class _ScopeWork:
    state: ScopeState
    calls: list[_Call] = field(default_factory=list)
    lists: dict[str, dict[int, str]] = field(default_factory=dict)  # list attr -> index -> constructor
    dicts: dict[str, dict[str, str]] = field(default_factory=dict)  # dict attr -> key -> constructor
    list_lines: dict[str, int] = field(default_factory=dict)  # list attr -> its declaration's index in init_body


class StructuredLowering:
    def __init__(self, low: Lowering):
        self.low = low
        self.graph = low.graph
        self.classes: list[ClassDef] = []
        self._class_keys: dict[tuple, str] = {}
        self._class_names: set[str] = {low.program.class_name}

    # ---- setting up ----------------------------------------------------------------------
    def run(self, live: set[int]) -> bool:
        low, graph = self.low, self.graph
        weights = {i.name for i in graph.initializer if low.values[i.name].is_weight}
        source_state = frozenset(low.trainable or ()) | frozenset(low.buffers)
        tree = build_module_tree(graph, live, weights, source_state)
        if tree is None or not tree.root.children:
            return False
        self.tree = tree
        self._dissolve_sequences()
        for scope in tree.scopes():
            self._settle_order(scope)
        self._record_homes(weights)
        root = ScopeState(tree.root, prefix="")
        root.locals, root.attrs, root.const_cache = low.locals, low.attrs, low._const_cache
        low.enter(root)
        self._lower_scope(tree.root, _ScopeWork(root))
        merge_by_constructor(self.classes, low.program.init_body)
        flags = _boolean_defaults(self.classes)
        for body in [low.program.init_body, *(c.init_body for c in self.classes)]:
            body[:] = [_compact_list(stmt, low.target.module_list, flags) for stmt in body]
        self.classes[:] = _defined_before_use(self.classes)
        low.program.classes = self.classes
        low.program.source_hints = root.hints
        return True

    def _dissolve_sequences(self) -> None:
        """A called module whose children are numbered (torch's nn.Sequential) is not a class of its own:
        its children become a module list of its parent (`self.layer = nn.LayerList([...])`), whose keys
        are the source's (`layer.0.convolution.weight`)."""
        for scope in reversed(list(self.tree.scopes())):
            if scope.parent is None or not scope.children:
                continue
            holds_state = scope in self.tree.owner.values()  # torch's ParametrizationList: a list with tensors
            if not holds_state and all(child.relative_name().isdigit() for child in scope.children):
                for index, where in list(self.tree.node_scope.items()):
                    if where is scope:
                        self.tree.node_scope[index] = scope.parent
                scope.dissolve()

    def _record_homes(self, weights: set[str]) -> None:
        low, graph, tree = self.low, self.graph, self.tree
        low.root_scope = tree.root
        self.readers: dict[str, set[Scope]] = {}
        for index, scope in tree.node_scope.items():
            node = graph.node[index]
            for out in node.output:
                if out:
                    low.producer[out] = node
                    low.value_home[out] = scope
            for name in node_reads(node):
                self.readers.setdefault(name, set()).add(scope)
        for vi in graph.output:
            self.readers.setdefault(vi.name, set()).add(tree.root)
        for vi in graph.input:
            if vi.name not in weights and vi.name not in low.value_home:
                low.value_home[vi.name] = tree.root
        for name in weights:
            home = common_ancestor(self.readers.get(name, ()))
            owner = tree.owner.get(name)
            if owner is not None and (home is None or home.within(owner)):
                home = owner  # the module that holds it in the source, read by its submodules
            if home is not None:
                low.value_home[name] = home
        # a tensor of the source that the export never reads (wav2vec2's masked_spec_embed, used only in
        # training) is still declared on its module: the port's state_dict is torch's
        self.unread: dict[Scope, list[str]] = {}
        for name in sorted(weights):
            # (a Linear weight the exporter transposed is declared under its name by the transposed copy)
            if name in tree.owner and name not in self.readers and name not in low.transposed_sources:
                self.unread.setdefault(tree.owner[name], []).append(name)

    # ---- the order of a scope's statements and calls ----------------------------------------
    def _items(self, scope: Scope) -> list[tuple[int, object]]:
        """(first node index, node index or child scope) for everything the scope computes, in an order
        where every item comes after the items it reads from; [] when a child cannot be one call."""
        tree, graph = self.tree, self.graph
        item_of: dict[int, object] = {}
        for index, where in tree.node_scope.items():
            if where is scope:
                item_of[index] = index
            elif where.within(scope):
                child = where
                while child.parent is not scope:
                    child = child.parent
                item_of[index] = child
        producer = {out: i for i in item_of for out in graph.node[i].output if out}
        first: dict[object, int] = {}
        for index, item in item_of.items():
            first[item] = min(first.get(item, index), index)
        deps: dict[object, set] = {item: set() for item in first}
        for index, item in item_of.items():
            for name in node_reads(graph.node[index]):
                source = item_of.get(producer.get(name, -1))
                if source is not None and source is not item:
                    deps[item].add(source)
        users: dict[object, set] = {item: set() for item in first}
        for item, sources in deps.items():
            for source in sources:
                users[source].add(item)
        waiting = {item: len(sources) for item, sources in deps.items()}
        ready = [(first[item], id(item), item) for item, n in waiting.items() if n == 0]
        heapq.heapify(ready)
        order = []
        while ready:
            key, _, item = heapq.heappop(ready)
            order.append((key, item))
            for user in users[item]:
                waiting[user] -= 1
                if waiting[user] == 0:
                    heapq.heappush(ready, (first[user], id(user), user))
        if len(order) < len(first):  # a child's nodes are not one contiguous computation
            stuck = [item for item, n in waiting.items() if n > 0 and isinstance(item, Scope)]
            return [(-1, stuck)]
        return order

    def _settle_order(self, scope: Scope) -> None:
        """Dissolve children that cannot be called as one unit (the exporter interleaved them)."""
        while True:
            items = self._items(scope)
            if not items or items[0][0] != -1:
                return
            for child in items[0][1]:
                for index, where in list(self.tree.node_scope.items()):
                    if where is child:
                        self.tree.node_scope[index] = scope
                child.dissolve()

    # ---- lowering one scope ------------------------------------------------------------------
    def _lower_scope(self, scope: Scope, work: _ScopeWork) -> None:
        low = self.low
        for name in self.unread.get(scope, ()):
            low.expr_of(name)  # declares it
        plans = self._plan_children(scope, work.state.prefix)
        for _, item in self._items(scope):
            if isinstance(item, Scope):
                self._call_child(work, item, plans[item])
            else:
                low.node_index = item
                low._lower_node_or_record(self.graph.node[item])
        self._write_lists(work)
        _fold_loops(work, self._loop_var, self._source_class)

    def _plan_children(self, scope: Scope, prefix: str) -> dict[Scope, _ChildPlan]:
        plans, lists = {}, {}
        for child in scope.children:
            relative = child.relative_name()
            base, _, index = relative.rpartition(".")
            if base.isidentifier() and index.isdigit():
                lists.setdefault(base, []).append((int(index), child))
            elif base.isidentifier() and index.isidentifier():  # held in a ModuleDict, which is not called
                plans[child] = _ChildPlan(base, None, f"{prefix}{relative}.", key=index)
            else:
                attr = relative if relative.isidentifier() else identifier(relative, "module")
                plans[child] = _ChildPlan(attr, None, f"{prefix}{attr}.")
        for base, members in lists.items():
            for index, child in members:
                plans[child] = _ChildPlan(base, index, f"{prefix}{base}.{index}.")
        return plans

    def _call_child(self, work: _ScopeWork, child: Scope, plan: _ChildPlan) -> None:
        low = self.low
        outputs = self._outputs(child)
        state = ScopeState(child, prefix=plan.prefix)
        previous = low.enter(state)
        child_work = _ScopeWork(state)
        self._lower_scope(child, child_work)
        returns = [low.expr_of(v) for v in outputs]
        _drop_unread_params(state, returns)
        low.enter(previous)
        args = [low.expr_of(v) for v in state.inputs]
        outs = [work.state.locals.fresh(low.value_hint(v), "v") for v in outputs]
        for value, name in zip(outputs, outs):
            work.state.bindings[value] = name
        if plan.key is not None:
            target = f"self.{plan.attr}[{plan.key!r}]"  # MindSpore's GRAPH_MODE reads a CellDict by key only
        else:
            target = f"self.{plan.attr}" if plan.index is None else f"self.{plan.attr}[{plan.index}]"
        layer = _single_layer(state, returns)
        if layer is not None:  # the module is one framework layer: it is that layer
            attr, ctor, expr = layer
            self._rekey(state, attr)
            mapping = dict(zip(state.params, args))
            mapping[f"self.{attr}"] = target
            call_expr = substitute_expr(expr, mapping)
            class_name = None
        else:
            class_name, ctor_args = self._class_for(child, state, returns)
            ctor = f"{class_name}({ctor_args})"
            call_expr = f"{target}({', '.join(args)})"
        work.state.weight_keys += state.weight_keys  # the parent holds its children's parameters too
        if plan.index is None and plan.key is None:
            work.state.init_body.append(Statement.declare(plan.attr, ctor))
        else:
            if plan.attr not in work.list_lines:
                work.list_lines[plan.attr] = len(work.state.init_body)
                work.state.init_body.append(Statement.one("pass"))  # the container, once every member is known
            if plan.key is not None:
                work.dicts.setdefault(plan.attr, {})[plan.key] = ctor
            else:
                work.lists.setdefault(plan.attr, {})[plan.index] = ctor
        if outs:
            work.state.forward_body.append(Statement.assign(outs, call_expr))
            work.calls.append(_Call(len(work.state.forward_body) - 1, plan.attr, plan.index, class_name, args, outs))

    def _outputs(self, child: Scope) -> list[str]:
        """The values computed inside `child` that something outside it reads, in graph order."""
        found = []
        for index in sorted(self.tree.node_scope):
            if not self.tree.node_scope[index].within(child):
                continue
            for out in self.graph.node[index].output:
                if out and any(not reader.within(child) for reader in self.readers.get(out, ())):
                    found.append(out)
        return found

    def _rekey(self, state: ScopeState, attr: str) -> None:
        """A module that is one layer: its parameters are the module's own (q_proj.weight)."""
        old, new = f"{state.prefix}{attr}.", state.prefix
        program = self.low.program
        # every key below the layer, its submodules' too (a module that is one module that is one layer)
        for key in [k for k in program.weights if k.startswith(old)]:
            program.weights[new + key[len(old) :]] = program.weights.pop(key)
        state.weight_keys[:] = [new + k[len(old) :] if k.startswith(old) else k for k in state.weight_keys]
        for row in program.param_map:
            if row["target"].startswith(old):
                row["target"] = new + row["target"][len(old) :]

    def _class_for(self, scope: Scope, state: ScopeState, returns: list[str]) -> tuple[str, str]:
        """The class for this module's body: shared with every earlier instance whose body is the same."""
        owned = _owning_layer(state, state.forward_body, returns, self.low.program.param_map)
        sizes = _layer_sizes(owned[1], owned[2]) if owned is not None else None
        init_for_key = [s.render() for s in state.init_body]
        # the forward as written, or (a layer subclass) with its sizes read from self: GPT-2's Conv1D reshapes to
        # its own out_features, a different literal in each instance, one class in the source
        candidates: list[tuple[list[Statement], list[str]]] = [(list(state.forward_body), list(returns))]
        if sizes is not None:  # every size of the layer is one class: the key leaves the sizes out
            init_for_key = [
                f"{owned[1]}({sizes[2]})" if s.attribute_target == owned[0] else s.render() for s in state.init_body
            ]
            candidates = _sizes_from_self(state.forward_body, returns, sizes[0], sizes[1]) + candidates
        keys = [
            (scope.class_name, len(state.params), *init_for_key, canonical(body, outs, state.params))
            for body, outs in candidates
        ]
        call_args = ", ".join(sizes[1]) if sizes is not None else ""
        if owned is not None:  # the class is that layer: its parameters are the module's own (c_attn.weight)
            self._rekey(state, owned[0])  # every instance's keys, the class written once
        for key in keys:
            if key in self._class_keys:
                return self._class_keys[key], call_args
        key, (forward_body, returns) = keys[0], candidates[0]
        base = class_base_name(scope.class_name)
        name, n = base, 1
        while name in self._class_names:
            name, n = f"{base}{n + 1}", n + 1
        self._class_names.add(name)
        self._class_keys[key] = name
        # inlined once the class is known: how far a value can be inlined depends on the names' lengths,
        # which differ between instances that are the same class
        lines, returns = list(forward_body), list(returns)
        inline_single_use(lines, returns)
        init_body, base, init_params = state.init_body, None, []
        if owned is not None:
            attr, layer_class, args = owned
            own_call = {f"self.{attr}": f"super().{self.low.target.forward_name}"}
            lines = [stmt.substituted(own_call) for stmt in lines]
            returns = [substitute_expr(text, own_call) for text in returns]
            # the class is the layer; what else the module holds (a buffer, a parameter) stays declared
            init_body = [stmt for stmt in state.init_body if stmt.attribute_target != attr]
            base = (layer_class, args)
            if sizes is not None:  # one class for every size of the layer: Conv1D(32, 96), Conv1D(32, 32)
                init_params = list(sizes[0])
                base = (layer_class, ", ".join([*sizes[0], *([sizes[2]] if sizes[2] else [])]))
                read = [size for size in sizes[0] if _reads_self_attr(lines, returns, size)]
                # kept under the constructor's own name (not every framework's layer keeps its sizes)
                init_body = [*init_body, *(Statement.declare(size, size) for size in read)]
        self.classes.append(
            ClassDef(
                name, init_body, state.params, lines, returns, base, dict(state.hints), init_params, scope.class_name
            )
        )
        return name, call_args

    def _write_lists(self, work: _ScopeWork) -> None:
        module_list = self.low.target.module_list
        for attr, members in work.lists.items():
            ctors = [members.get(i, self.low.target.identity_layer) for i in range(max(members) + 1)]
            if len(set(ctors)) == 1 and len(ctors) > 1 and ctors[0].endswith("()"):
                body = f"[{ctors[0]} for _ in range({len(ctors)})]"
            else:
                body = "[" + ", ".join(ctors) + "]"
            work.state.init_body[work.list_lines[attr]] = Statement.declare(attr, f"{module_list}({body})")
        for attr, members in work.dicts.items():
            body = ", ".join(f"{key!r}: {ctor}" for key, ctor in members.items())
            work.state.init_body[work.list_lines[attr]] = Statement.declare(
                attr, f"{self.low.target.module_dict}({{{body}}})"
            )

    def _source_class(self, name: str | None) -> str | None:
        """The source class of a generated class (None for a framework layer)."""
        return next((c.source_class for c in self.classes if c.name == name), None)

    def _loop_var(self, work: _ScopeWork, attr: str) -> str:
        singular = attr[:-1] if attr.endswith("s") and len(attr) > 1 else f"{attr}_item"
        return work.state.locals.fresh(singular, "module")


def _compact_list(stmt: Statement, module_list: str, flags: dict[str, dict[str, bool]]) -> Statement:
    """A module list of one class whose members differ only in one boolean argument, False for the first ones
    and True for the rest (DeepSeek's dense, then MoE decoder layers, once one class), as a comprehension
    over the index: `nn.LayerList([DeepseekV3DecoderLayer(moe=i >= 1) for i in range(8)])`, as the source
    builds it; a list of equal members as `[... for _ in range(8)]`. `flags`: the classes' boolean defaults
    (a call that leaves the argument out passes its default)."""
    value = stmt.value if stmt.attribute_target is not None else None
    if not (isinstance(value, ast.Call) and render_expr(value.func) == module_list and len(value.args) == 1):
        return stmt
    members = value.args[0]
    if not isinstance(members, ast.List) or len(members.elts) < 2:
        return stmt
    if not all(isinstance(m, ast.Call) and isinstance(m.func, ast.Name) for m in members.elts):
        return stmt
    dumps = [ast.dump(m) for m in members.elts]
    first = members.elts[0]
    if len(set(dumps)) == 1:
        member, index = first, "_"
    else:
        split = [_one_flag(m, flags.get(m.func.id, {})) for m in members.elts]
        if any(found is None for found in split) or len({(rest, arg) for rest, arg, _ in split}) != 1:
            return stmt
        values = [flag for _, _, flag in split]
        switch = values.index(True) if True in values else -1
        if switch <= 0 or not all(values[switch:]):
            return stmt
        member, index = copy.deepcopy(first), "i"
        for k in member.keywords:
            if k.arg == split[0][1]:
                k.value = expression(f"i >= {switch}")
    text = f"self.{stmt.attribute_target} = {module_list}([{render_expr(member)} for {index} in range({len(members.elts)})])"
    return Statement.parse(text)[0]


def _one_flag(call: ast.Call, defaults: dict[str, bool]) -> tuple[str, str, bool] | None:
    """(the call without it, the keyword, its value) for a call with exactly one boolean keyword argument, or
    none but one boolean argument left at its default."""
    flags = [k for k in call.keywords if isinstance(k.value, ast.Constant) and type(k.value.value) is bool]
    if not flags and len(defaults) == 1:
        ((name, value),) = defaults.items()
        return ast.dump(call), name, value
    if len(flags) != 1:
        return None
    rest = ast.Call(func=call.func, args=call.args, keywords=[k for k in call.keywords if k is not flags[0]])
    return ast.dump(rest), flags[0].arg, flags[0].value.value


def _boolean_defaults(classes: list[ClassDef]) -> dict[str, dict[str, bool]]:
    """{class: {argument: default}} for the constructor arguments whose default is True or False."""
    found: dict[str, dict[str, bool]] = {}
    for c in classes:
        for name, default in c.defaults.items():
            if default in ("True", "False"):
                found.setdefault(c.name, {})[name] = default == "True"
    return found


def _defined_before_use(classes: list[ClassDef]) -> list[ClassDef]:
    """The classes in their order, each moved after the classes its `__init__` constructs (a merged class
    takes its first instance's place, which can come before a class one of its instances holds)."""
    by_name = {c.name: c for c in classes}
    ordered: list[ClassDef] = []
    placed: set[str] = set()

    def place(c: ClassDef, seen: frozenset) -> None:
        if c.name in placed or c.name in seen:
            return
        for stmt in c.init_body:
            for node in ast.walk(stmt.tree):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in by_name:
                    place(by_name[node.func.id], seen | {c.name})
        placed.add(c.name)
        ordered.append(c)

    for c in classes:
        place(c, frozenset())
    return ordered


def _single_layer(state: ScopeState, returns: list[str]) -> tuple[str, str, str] | None:
    """(attr, constructor, call expression) when the module's whole body is one call of one layer."""
    if len(state.init_body) != 1 or len(returns) != 1:
        return None
    decl = state.init_body[0]
    attr = decl.attribute_target
    if attr is None or not isinstance(decl.value, ast.Call):
        return None
    ctor = render_expr(decl.value)
    if is_parameter_declaration(decl.value):  # a bare parameter, not a layer
        return None
    body = state.forward_body
    if not body:
        expr = expression(returns[0])
    elif len(body) == 1 and body[0].single_target == returns[0]:
        expr = body[0].value
    else:
        return None
    if not (isinstance(expr, ast.Call) and is_self_attr(expr.func, attr)):
        return None
    if sum(1 for n in ast.walk(expr) if is_self_attr(n, attr)) != 1:
        return None
    return attr, ctor, render_expr(expr)


def _owning_layer(
    state: ScopeState, body: list[Statement], returns: list[str], param_map: list[dict]
) -> tuple[str, str, str] | None:
    """(attr, layer class, constructor arguments) when the module holds one framework layer as its own
    parameters, which its forward calls once among other statements (GPT-2's Conv1D: a reshape, a Linear, a
    reshape; DeepSeek's router: a Linear beside a buffer): the class then subclasses that layer, so its
    parameters keep the source's keys (`c_attn.weight`, `gate.weight`). Anything else it declares must be
    its own parameters or buffers, not child modules."""
    calls = [stmt for stmt in state.init_body if stmt.attribute_target and isinstance(stmt.value, ast.Call)]
    if any(isinstance(stmt.value.func, ast.Name) for stmt in calls):  # a child module of a class of its own
        return None
    layers = [stmt for stmt in calls if _FRAMEWORK_LAYER.fullmatch(render_expr(stmt.value.func))]
    if len(layers) != 1 or not state.weight_keys:
        return None
    attr, ctor = layers[0].attribute_target, layers[0].value
    layer_class = render_expr(ctor.func)
    args = render_expr(ast.Call(func=ast.Name(id="f", ctx=ast.Load()), args=ctor.args, keywords=ctor.keywords))[2:-1]
    if not any(key.startswith(f"{state.prefix}{attr}.") for key in state.weight_keys):
        return None
    # only where the source holds them as the module's own (c_attn.weight), not a child's (fc.weight)
    own = f"{state.scope.path}." if state.scope.path else ""
    sources = [row["source"] for row in param_map if row["target"].startswith(f"{state.prefix}{attr}.")]
    if not sources or not all(src.startswith(own) and "." not in src[len(own) :] for src in sources):
        return None
    trees = [stmt.tree for stmt in body] + [expression(text) for text in returns]
    mentions = sum(1 for tree in trees for n in ast.walk(tree) if is_self_attr(n, attr))
    calls = sum(1 for stmt in body for name in stmt.layer_calls() if name == attr)
    calls += sum(
        1
        for text in returns
        for n in ast.walk(expression(text))
        if isinstance(n, ast.Call) and is_self_attr(n.func, attr)
    )
    if mentions != 1 or calls != 1:
        return None
    return attr, layer_class, args


# A framework layer (`nn.Linear`, Paddle's PyTorch-layout `paddle.compat.nn.Linear`), not one of the
# frameworks' module lists
_FRAMEWORK_LAYER = re.compile(
    r"(?:paddle\.compat\.)?nn\.(?!LayerList$|CellList$|Sequential$|SequentialCell$)[A-Za-z_]\w*"
)


def _layer_sizes(layer_class: str, args: str) -> tuple[tuple[str, ...], tuple[str, ...], str] | None:
    """(size parameter names, their values here, the remaining keyword arguments) of a layer constructor
    whose leading positional arguments are the sizes POSITIONAL_NAMES names; None for any other."""
    # the layers' leading sizes, by the names the frameworks give them: a class that is such a layer takes them
    # as constructor arguments, as a hand port does
    names = POSITIONAL_NAMES.get(layer_class.rsplit(".", 1)[-1])
    if names is None:
        return None
    try:
        call = ast.parse(f"f({args})", mode="eval").body
    except SyntaxError:
        return None
    if len(call.args) != len(names) or not all(isinstance(a, ast.Constant) for a in call.args):
        return None
    rest = ", ".join(ast.unparse(k) for k in call.keywords)
    return names, tuple(ast.unparse(a) for a in call.args), rest


def _sizes_from_self(
    body: list[Statement], returns: list[str], names: tuple[str, ...], values: tuple[str, ...]
) -> list[tuple[list[Statement], list[str]]]:
    """The forward with each integer of a list literal (a shape) that equals one of the layer's sizes read
    from self (`[-1, self.in_features]`): one version per way to read the integers that equal several sizes
    (a square layer's), so an instance can match the class an earlier instance made. Empty when no integer
    is a size."""
    sizes = {name: int(value) for name, value in zip(names, values)}
    trees = [stmt.tree for stmt in body] + [expression(text) for text in returns]
    found: list[list[str | None]] = []

    def collect(value: int) -> None:
        found.append([name for name, size in sizes.items() if size == value] or [None])

    for tree in trees:
        _ShapeIntegers(collect).visit(copy.deepcopy(tree))
    if all(names_here == [None] for names_here in found):
        return []
    versions = []
    for picks in itertools.islice(itertools.product(*found), 16):  # a square layer's sizes read two ways
        pick = iter(picks)
        lifted = [_ShapeIntegers(lambda _value, pick=pick: next(pick)).visit(copy.deepcopy(tree)) for tree in trees]
        statements = [Statement(ast.fix_missing_locations(tree)) for tree in lifted[: len(body)]]
        versions.append((statements, [render_expr(tree) for tree in lifted[len(body) :]]))
    return versions


class _ShapeIntegers(ast.NodeTransformer):
    """Visit the integers of shape literals (a list or tuple holding a -1 or a computed size, as a reshape's
    target does; not a permutation or an axis list) in one fixed order; `choose(value)` says which attribute
    of self replaces each (None: keep the integer)."""

    def __init__(self, choose):
        self.choose = choose

    def visit_List(self, node: ast.List | ast.Tuple) -> ast.List | ast.Tuple:
        self.generic_visit(node)
        if all(_non_negative_int(element) for element in node.elts):
            return node
        elements = []
        for element in node.elts:
            if _non_negative_int(element):
                name = self.choose(element.value)
                if name is not None:
                    element = ast.Attribute(value=ast.Name(id="self", ctx=ast.Load()), attr=name, ctx=ast.Load())
            elements.append(element)
        node.elts = elements
        return node

    visit_Tuple = visit_List


def _non_negative_int(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int and node.value >= 0


def _reads_self_attr(lines: list[Statement], returns: list[str], attr: str) -> bool:
    trees = [stmt.tree for stmt in lines] + [expression(text) for text in returns]
    return any(is_self_attr(n, attr) for tree in trees for n in ast.walk(tree))


INLINE_LINE_LIMIT = 100  # an inlined value must leave its consumer's line at most this long
INLINE_NESTING_LIMIT = 4  # ... and at most this deeply nested in calls


def inline_single_use(lines: list[Statement], returns: list[str]) -> None:
    """Write a value that is read once, by a later top-level statement, into that statement (as a hand
    port nests `self.fc2(gelu(self.fc1(x)))`), while the line stays short and shallow. Values nothing
    reads any more (shape tensors whose sizes the code now writes as `x.shape[0]`) are dropped first."""
    drop_unread(lines, returns)
    changed = True
    while changed:
        changed = False
        returned = [expression(text) for text in returns]
        assigned: dict[str, int] = {}
        for stmt in lines:
            for name in stmt.stores:
                assigned[name] = assigned.get(name, 0) + 1
        for i, stmt in enumerate(lines):
            name = stmt.single_target
            if name is None or assigned.get(name) != 1:
                continue
            counts = [later.reads(name) for later in lines[i + 1 :]] + [name_reads(e, name) for e in returned]
            uses = [k for k, c in enumerate(counts) if c]
            if len(uses) != 1 or counts[uses[0]] != 1:
                continue
            j = i + 1 + uses[0]
            if j < len(lines) and (lines[j].is_block or not isinstance(lines[j].tree, ast.Assign)):
                continue  # inside a loop (it would run every iteration) or a statement of another form
            if j < len(lines):
                new = lines[j].substituted({name: stmt.value})
                text = new.render()
            else:
                text = substitute_expr(returns[j - len(lines)], {name: stmt.value})
                new = text
            if len(text) + 8 > INLINE_LINE_LIMIT or _nesting(text) > INLINE_NESTING_LIMIT:
                continue
            if j < len(lines):
                lines[j] = new
            else:
                returns[j - len(lines)] = new
            del lines[i]
            changed = True
            break


# Statements that draw random numbers stay even when unread: they advance the framework's generator.
_STATEFUL = re.compile(r"random|dropout|bernoulli|multinomial|normal|uniform|seed", re.I)


def drop_unread(lines: list[Statement], returns: list[str]) -> None:
    """Remove top-level assignments of a single name that no later statement, block or return reads."""
    returned = [expression(text) for text in returns]
    changed = True
    while changed:
        changed = False
        for i in range(len(lines) - 1, -1, -1):
            name = lines[i].single_target
            if name is None or _STATEFUL.search(render_expr(lines[i].value)):
                continue
            later = any(stmt.reads(name) for stmt in lines[i + 1 :]) or any(name_reads(e, name) for e in returned)
            if not later and not any(stmt.reads(name) for stmt in lines[:i] if stmt.is_block):
                del lines[i]
                changed = True


def _drop_unread_params(state: ScopeState, returns: list[str]) -> None:
    """A module takes only what its body reads: an input bound while lowering and then written another
    way (a size read from the input's own shape instead) would make the signature, and every caller's
    call, longer than the source's, and instances that differ only there separate classes."""
    drop_unread(state.forward_body, returns)
    returned = [expression(text) for text in returns]
    keep = [
        i
        for i, param in enumerate(state.params)
        if any(stmt.reads(param) for stmt in state.forward_body) or any(name_reads(e, param) for e in returned)
    ]
    state.params[:] = [state.params[i] for i in keep]
    state.inputs[:] = [state.inputs[i] for i in keep]


def _nesting(text: str) -> int:
    depth = deepest = 0
    for ch in text:
        if ch in "([":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]":
            depth -= 1
    return deepest


def _fold_loops(work: _ScopeWork, loop_var, source_class) -> None:
    """Calls of one source class over consecutive members of a module list, each feeding the next, become
    `for layer in self.layers: h = layer(h, ...)`, as the source's loop is, whichever classes the members are
    (DeepSeek's dense first layer and MoE layers, called alike); where the calls of two classes differ, each
    run of one class, two or more long, is a loop over its slice (`for layer in self.layers[1:]:`), so the
    code does not grow with depth. `source_class(name)`: a generated class's source class."""
    lines = work.state.forward_body
    by_attr: dict[str, list[_Call]] = {}
    for call in work.calls:
        if call.index is not None:
            by_attr.setdefault(call.attr, []).append(call)
    replaced: dict[int, list[Statement] | None] = {}
    for attr, calls in by_attr.items():
        members = work.lists.get(attr, {})
        if len(calls) < 2 or len(calls) != len(members) or [c.index for c in calls] != list(range(len(calls))):
            continue
        for run, carried in _loop_runs(calls, lines, source_class):
            last = run[-1]
            var = loop_var(work, attr)
            block = [
                Statement.assign([last.outs[out]], run[0].args[pos])
                for pos, out in carried.items()
                if run[0].args[pos] != last.outs[out]
            ]
            args = [last.outs[carried[p]] if p in carried else a for p, a in enumerate(run[0].args)]
            start, stop = run[0].index, run[-1].index + 1
            members_expr = f"self.{attr}" if (start, stop) == (0, len(calls)) else _slice(f"self.{attr}", start, stop, len(calls))  # fmt: skip
            block += Statement.parse(
                f"for {var} in {members_expr}:\n    {', '.join(last.outs)} = {var}({', '.join(args)})"
            )
            replaced[run[0].line] = _between(run, lines) + block
            for i in range(run[0].line + 1, run[-1].line + 1):
                replaced[i] = None
    if replaced:
        new_lines = []
        for i, line in enumerate(lines):
            if i not in replaced:
                new_lines.append(line)
            elif replaced[i] is not None:
                new_lines.extend(replaced[i])
        lines[:] = new_lines


def _loop_runs(calls: list[_Call], lines: list[Statement], source_class):
    """(run, carried positions) for each run of calls one loop can make: of one source class, else of one class."""
    for run in _runs(calls, lambda call: source_class(call.class_name)):
        carried = _loopable(run, lines)
        if carried is not None:
            yield run, carried
            continue
        for same in _runs(run, lambda call: call.class_name):
            carried = _loopable(same, lines)
            if carried is not None:
                yield same, carried


def _loopable(run: list[_Call], lines: list[Statement]) -> dict[int, int] | None:
    """_carried_positions of two or more calls of generated classes, else None; the statements between
    them must not read what the calls return (they go before the loop: a value the exporter placed between
    two decoder layers that none of them reads)."""
    if len(run) < 2 or any(call.class_name is None for call in run):
        return None
    outs = {name for call in run for name in call.outs}
    for stmt in _between(run, lines):
        if stmt.is_block or stmt.layer_calls() or any(stmt.reads(n) for n in outs) or _STATEFUL.search(stmt.render()):
            return None
    return _carried_positions(run, lines)


def _between(run: list[_Call], lines: list[Statement]) -> list[Statement]:
    calls = {call.line for call in run}
    return [lines[i] for i in range(run[0].line, run[-1].line + 1) if i not in calls]


def _runs(calls: list[_Call], key) -> list[list[_Call]]:
    """The calls split where key(call) changes."""
    runs: list[list[_Call]] = []
    for call in calls:
        if runs and key(runs[-1][-1]) == key(call):
            runs[-1].append(call)
        else:
            runs.append([call])
    return runs


def _slice(expr: str, start: int, stop: int, length: int) -> str:
    return f"{expr}[{start or ''}:{'' if stop == length else stop}]"


def _carried_positions(calls: list[_Call], lines: list[Statement]) -> dict[int, int] | None:
    """{argument position: output position} when every call takes the previous call's outputs there
    and the same values elsewhere, and nothing else reads the intermediate outputs."""
    carried: dict[int, int] | None = None
    for previous, call in zip(calls, calls[1:]):
        mapping = {}
        for pos, (arg, first) in enumerate(zip(call.args, calls[0].args)):
            if arg in previous.outs:
                mapping[pos] = previous.outs.index(arg)
            elif arg != first or arg in calls[0].outs:
                return None
        if len(call.args) != len(calls[0].args) or (carried is not None and mapping != carried):
            return None
        carried = mapping
    if not carried:
        return None
    loop_lines = {c.line for c in calls}
    for call in calls[:-1]:
        for name in call.outs:
            if any(stmt.reads(name) for i, stmt in enumerate(lines) if i not in loop_lines):
                return None
    return carried
