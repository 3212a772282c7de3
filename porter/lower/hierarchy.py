"""The source's module tree, recovered from the node metadata torch.onnx's dynamo exporter records.

Every node carries `pkg.torch.onnx.name_scopes` (the module path of each enclosing call, then the op)
and `pkg.torch.onnx.class_hierarchy` (the class of each). From them this module builds a tree of
scopes, one per source module, and assigns every node to the innermost scope that will become a class:

- a leaf module that owns no weights (an activation module, a Dropout) is transparent: its nodes belong
  to its parent, as a hand port would call `silu(x)` inline;
- a value that one scope computes and a sibling scope reads (the exporter shares common shape
  arithmetic between decoder layers) is computed in their common ancestor instead, where possible, so
  that the repeated blocks keep identical bodies and one class serves them all;
- the weights of the source model live on the module its state_dict key names, when that module is a scope,
  else on the scope that uses them (the common ancestor when several do).

Graphs without the metadata (ONNX files, the TorchScript exporter) give no tree: lowering stays flat.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import onnx

from porter.folding import NEVER_FOLD
from porter.graphs import node_reads

_FILLER_SCOPE = "empty_nn_module_stack"  # torch's placeholder for nodes outside any module call


@dataclass(eq=False)
class Scope:
    """One source module: the nodes it computes itself and the modules it calls."""

    path: str  # module path in the source ('' for the root, 'layers.0.self_attn')
    class_path: str  # the source class ('transformers.models.llama.modeling_llama.LlamaAttention')
    parent: Scope | None = None
    children: list[Scope] = field(default_factory=list)

    @property
    def class_name(self) -> str:
        return self.class_path.rsplit(".", 1)[-1]

    def within(self, other: Scope) -> bool:
        """True when self is other or one of its descendants."""
        scope: Scope | None = self
        while scope is not None:
            if scope is other:
                return True
            scope = scope.parent
        return False

    def relative_name(self) -> str:
        """The attribute path from the parent ('self_attn', 'layers.0')."""
        parent = self.parent.path if self.parent is not None else ""
        if parent and self.path.startswith(parent + "."):
            return self.path[len(parent) + 1 :]
        return self.path

    def dissolve(self) -> None:
        """Merge this scope into its parent (its children become the parent's)."""
        parent = self.parent
        assert parent is not None
        index = parent.children.index(self)
        parent.children[index : index + 1] = self.children
        for child in self.children:
            child.parent = parent
        self.children = []


def common_ancestor(scopes) -> Scope | None:
    scopes = list(scopes)
    if not scopes:
        return None
    result = scopes[0]
    for scope in scopes[1:]:
        while not scope.within(result):
            result = result.parent
    return result


@dataclass
class ModuleTree:
    root: Scope
    node_scope: dict[int, Scope]  # node index -> the scope that computes it
    # a source tensor -> the module that holds it, read from its state_dict key (`conv.parametrizations.
    # weight.original0` is held by `conv.parametrizations.weight`), where that module is a scope
    owner: dict[str, Scope] = field(default_factory=dict)

    def scopes(self) -> list[Scope]:
        found, stack = [], [self.root]
        while stack:
            scope = stack.pop()
            found.append(scope)
            stack.extend(reversed(scope.children))
        return found


def _module_chain(node: onnx.NodeProto) -> list[tuple[str, str]] | None:
    """[(module path, class path), ...] outermost first; None when the node has no such metadata."""
    props = {p.key: p.value for p in node.metadata_props}
    if "pkg.torch.onnx.name_scopes" not in props or "pkg.torch.onnx.class_hierarchy" not in props:
        return None
    paths = _parse_list(props["pkg.torch.onnx.name_scopes"])
    classes = _parse_list(props["pkg.torch.onnx.class_hierarchy"])
    if len(paths) != len(classes) or any(_FILLER_SCOPE in p for p in paths):
        return []
    return list(zip(paths[:-1], classes[:-1]))  # the last entry is the op itself


def _parse_list(text: str) -> list[str]:
    return [s.strip().strip("'\"") for s in text.strip().strip("[]").split(",")]


def build_module_tree(
    graph: onnx.GraphProto, live: set[int], weights: set[str], source_state: frozenset[str] = frozenset()
) -> ModuleTree | None:
    """The scope of every live node, or None when the graph carries no module metadata.

    weights: names of the initializers that become parameters (a leaf scope that uses one is a class).
    source_state: the source's state_dict keys among them (a PyTorch source's parameters and buffers): each
    is held by the module its key names, not only by the modules that read it.
    """
    chains = {i: _module_chain(graph.node[i]) for i in live}
    unplaced = sorted(i for i, c in chains.items() if c is None)  # nodes the exporter's own passes added
    if not chains or len(unplaced) * 10 > len(chains) or not any(chains.values()):
        return None
    root_class = next((c[0][1] for c in chains.values() if c), "")
    root = Scope("", root_class)
    by_path: dict[str, Scope] = {"": root}
    node_scope: dict[int, Scope] = {}
    for index in sorted(set(live) - set(unplaced)):
        scope = root
        for path, class_path in chains[index][1:] if chains[index] and chains[index][0][0] == "" else []:
            child = by_path.get(path)
            if child is None:
                child = by_path[path] = Scope(path, class_path, parent=scope)
                scope.children.append(child)
            scope = child
        node_scope[index] = scope
    _place_unlabelled(graph, unplaced, node_scope, root)
    tree = ModuleTree(root, node_scope, _owners(by_path, weights & source_state))
    _make_weightless_leaves_transparent(graph, tree, weights)
    _hoist_shared_values(graph, tree, weights)
    return tree


def _place_unlabelled(graph: onnx.GraphProto, unplaced: list[int], node_scope: dict, root: Scope) -> None:
    """A node without metadata (a Split the exporter's optimizer made) goes to the common ancestor of the
    scopes that read it, last readers first placed; the root when nothing placed reads it."""
    readers: dict[str, list[int]] = {}
    for index in list(node_scope) + unplaced:
        for name in node_reads(graph.node[index]):
            readers.setdefault(name, []).append(index)
    for index in reversed(unplaced):
        scopes = [node_scope[r] for out in graph.node[index].output for r in readers.get(out, []) if r in node_scope]
        node_scope[index] = common_ancestor(scopes) or root


def _owners(by_path: dict[str, Scope], names) -> dict[str, Scope]:
    """The scope each state_dict key names as its holder: the key less its last part, when that is a scope."""
    owners = {}
    for name in names:
        path, _, attr = name.rpartition(".")
        if attr.isidentifier() and path in by_path:
            owners[name] = by_path[path]
    return owners


def _make_weightless_leaves_transparent(graph: onnx.GraphProto, tree: ModuleTree, weights: set[str]) -> None:
    """A leaf that holds no weight is computed inline by its parent. A leaf that reads only weights its
    ancestors hold (torch's _WeightNorm, called with its ParametrizationList's original0 and original1)
    holds none either."""

    def held_elsewhere(name: str, scope: Scope) -> bool:
        owner = tree.owner.get(name)
        return owner is not None and owner is not scope and scope.within(owner)

    uses_weights = {
        scope
        for i, scope in tree.node_scope.items()
        if any(x in weights and not held_elsewhere(x, scope) for x in graph.node[i].input)
    }
    for scope in tree.scopes():
        if scope.parent is not None and not scope.children and scope not in uses_weights:
            parent = scope.parent
            scope.dissolve()
            for i, s in tree.node_scope.items():
                if s is scope:
                    tree.node_scope[i] = parent


def _hoist_shared_values(graph: onnx.GraphProto, tree: ModuleTree, weights: set[str]) -> None:
    """A value that a module uses itself and a sibling module reads too (the exporter shares common
    subexpressions between decoder layers) is computed in their common ancestor, when it depends only on
    values from outside the module: then every instance of a repeated block has the same body."""
    producer = {out: i for i, node in enumerate(graph.node) if i in tree.node_scope for out in node.output if out}
    sizes = _size_arithmetic(graph)
    changed = True
    while changed:
        changed = False
        readers: dict[str, set[Scope]] = {}
        for i, scope in tree.node_scope.items():
            for name in node_reads(graph.node[i]):
                readers.setdefault(name, set()).add(scope)
        for index in sorted(tree.node_scope):
            scope = tree.node_scope[index]
            consumers = set()
            for out in graph.node[index].output:
                consumers |= readers.get(out, set())
            sideways = [c for c in consumers if not c.within(scope) and not scope.within(c)]
            if not sideways:
                continue
            target = common_ancestor([scope, *sideways])
            # the module of `target` that held the node: reading a value from inside it and being read
            # by it again would make that module two separate calls
            held_in = scope
            while held_in.parent is not target:
                held_in = held_in.parent
            cone = _outside_cone(graph, tree, index, held_in, producer, weights)
            if cone is None:
                continue
            if not any(c.within(held_in) for c in consumers) and not all(
                out in sizes for member in cone for out in graph.node[member].output if out
            ):
                continue  # the module's result, which its parent passes on: ordinary data flow
            for member in cone:
                tree.node_scope[member] = target
            changed = True


# Shape arithmetic the exporter shares is a few nodes (sizes multiplied, an arange over them); a larger
# cone is the module's own work, which stays where the source computed it.
_MAX_HOISTED_CONE = 8
_NOT_HOISTED = NEVER_FOLD | {"Dropout"}  # a draw or a body of its own stays where the source has it


def _outside_cone(graph, tree, index: int, held_in: Scope, producer: dict, weights: set[str]) -> list[int] | None:
    """The node and the nodes inside `held_in` that it is computed from, when all of them start from
    values outside `held_in` (no weight, no random draw, no control flow): moving them together out of the module keeps the
    result the same. None when the node depends on the module's own data."""
    cone, todo = [], [index]
    while todo:
        current = todo.pop()
        if current in cone:
            continue
        node = graph.node[current]
        if node.op_type in _NOT_HOISTED or len(cone) >= _MAX_HOISTED_CONE:
            return None
        cone.append(current)
        for name in node_reads(node):  # a subgraph's outer reads count too
            if not name:
                continue
            if name in weights:
                return None
            source = producer.get(name)
            if source is not None and tree.node_scope[source].within(held_in):
                todo.append(source)
    return cone


_SIZE_OPS = {"Shape", "Size"}
_SIZE_ARITHMETIC_OPS = {
    "Squeeze",
    "Unsqueeze",
    "Mul",
    "Add",
    "Sub",
    "Div",
    "Concat",
    "Gather",
    "Slice",
    "Cast",
    "Reshape",
}


def _size_arithmetic(graph: onnx.GraphProto) -> set[str]:
    """Values computed from tensor sizes alone (the exporter's `sym_size_int * 2`): a module that returns
    one computed only from outside sizes returns it because the exporter shared it, not because the source
    does."""
    constants = {i.name for i in graph.initializer if len(i.dims) <= 1}
    found: set[str] = set()
    for node in graph.node:  # topologically sorted
        if (
            node.op_type in _SIZE_OPS
            or node.op_type == "Constant"
            or (node.op_type in _SIZE_ARITHMETIC_OPS and all(not n or n in found or n in constants for n in node.input))
        ):
            found.update(out for out in node.output if out)
    return found


def module_classes(node: onnx.NodeProto) -> set[str]:
    """The class paths of the modules the source computed `node` in (empty without metadata): where the
    exporter placed it may differ (a value it shared between decoder layers)."""
    return {class_path for _, class_path in _module_chain(node) or ()}
