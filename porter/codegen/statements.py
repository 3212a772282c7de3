"""The statement IR: what a generated body is made of between lowering and the text of model.py.

Lowering builds each `__init__` and forward as a list of `Statement`s. A statement holds one Python
statement as a syntax tree (Python's own `ast`: an assignment of a call of the target's callable to its
inputs with its attributes, a layer declaration, a loop), and knows which names it stores and reads. The
passes over bodies (porter.lower.structure: inlining, dropping what is unread, comparing two instances' bodies,
folding calls into a loop; porter.codegen.renaming) work on these trees, so a substitution replaces a name node,
never a piece of text, and a name inside a string or after a dot is never touched. Python text is written
in one place, `Statement.render` (called by porter.codegen.module), as torch.fx's CodeGen writes it from
its graph.

Emitters in op_maps/ spell a target's call as text (`nn.functional.relu(x)`) or build it with `call`;
either way it is parsed here once, when the statement is made, and a spelling that is not Python is a bug
of the mapping table, reported with the text.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterable, Mapping

from porter.codegen.literals import py_literal

Expr = ast.expr | str


def expression(value: Expr | object) -> ast.expr:
    """An expression tree from an emitter's text (or a tree, returned as is); any other value (a number, a
    list of them) is that value's literal."""
    if isinstance(value, ast.expr):
        return value
    if not isinstance(value, str):
        value = py_literal(value)
    try:
        return ast.parse(value, mode="eval").body
    except SyntaxError as exc:
        raise ValueError(f"a mapping wrote an expression that is not Python: {value!r} ({exc.msg})") from None


def call(func: str, *args: Expr, **kwargs: Expr) -> ast.Call:
    """`func(args..., key=value...)`: a call of a target's callable with its inputs and attributes."""
    return ast.Call(
        func=expression(func),
        args=[expression(a) for a in args],
        keywords=[ast.keyword(arg=k, value=expression(v)) for k, v in kwargs.items()],
    )


def render_expr(value: ast.expr) -> str:
    return ast.unparse(value)


class Statement:
    """One statement of a generated body (see the module docstring)."""

    __slots__ = ("tree",)

    def __init__(self, tree: ast.stmt):
        self.tree = tree

    # ---- making statements ---------------------------------------------------------------
    @classmethod
    def parse(cls, text: str) -> list[Statement]:
        """The statements of an emitter's text (one line, or a whole block such as an `if`)."""
        try:
            module = ast.parse(text)
        except SyntaxError as exc:
            raise ValueError(f"a mapping wrote a statement that is not Python: {text!r} ({exc.msg})") from None
        return [cls(stmt) for stmt in module.body]

    @classmethod
    def one(cls, text: str) -> Statement:
        (stmt,) = cls.parse(text)
        return stmt

    @classmethod
    def assign(cls, targets: Iterable[str], value: Expr) -> Statement:
        """`a = value`, or `a, b = value` (`_` for an output nothing reads)."""
        names = [ast.Name(id=t, ctx=ast.Store()) for t in targets]
        target = names[0] if len(names) == 1 else ast.Tuple(elts=names, ctx=ast.Store())
        return cls(ast.Assign(targets=[target], value=expression(value), lineno=0))

    @classmethod
    def declare(cls, attr: str, value: Expr) -> Statement:
        """`self.attr = value`: a layer, parameter or constant declared in __init__."""
        target = ast.Attribute(value=ast.Name(id="self", ctx=ast.Load()), attr=attr, ctx=ast.Store())
        return cls(ast.Assign(targets=[target], value=expression(value), lineno=0))

    # ---- what it is ----------------------------------------------------------------------
    @property
    def is_block(self) -> bool:
        """A statement with a body of its own (for, while, if): it runs its body more than once or not at all."""
        return isinstance(self.tree, ast.For | ast.While | ast.If)

    @property
    def is_loop(self) -> bool:
        return isinstance(self.tree, ast.For)

    @property
    def single_target(self) -> str | None:
        """The name of `name = value`, None for any other form."""
        tree = self.tree
        if isinstance(tree, ast.Assign) and len(tree.targets) == 1 and isinstance(tree.targets[0], ast.Name):
            return tree.targets[0].id
        return None

    @property
    def value(self) -> ast.expr | None:
        """The assigned expression of an assignment."""
        return self.tree.value if isinstance(self.tree, ast.Assign) else None

    @property
    def attribute_target(self) -> str | None:
        """`attr` of `self.attr = value` (a declaration in __init__), else None."""
        tree = self.tree
        if isinstance(tree, ast.Assign) and len(tree.targets) == 1:
            target = tree.targets[0]
            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
                return target.attr
        return None

    @property
    def assigned(self) -> list[str]:
        """The names this statement binds at its own level: an assignment's targets, a loop's variable."""
        tree = self.tree
        if isinstance(tree, ast.Assign):
            return [n.id for t in tree.targets for n in ast.walk(t) if isinstance(n, ast.Name)]
        if isinstance(tree, ast.For):
            return [n.id for n in ast.walk(tree.target) if isinstance(n, ast.Name)]
        return []

    def names(self) -> list[ast.Name]:
        """Every name node, in reading order (a depth-first walk in the order of each node's fields, which
        is the order of the source text for the statements lowering writes)."""
        found: list[ast.Name] = []

        def visit(node: ast.AST) -> None:
            if isinstance(node, ast.Name):
                found.append(node)
            for child in ast.iter_child_nodes(node):
                visit(child)

        visit(self.tree)
        return found

    @property
    def stores(self) -> list[str]:
        """Every name it assigns, inside its blocks too, once each."""
        return list(dict.fromkeys(n.id for n in ast.walk(self.tree) if isinstance(n, ast.Name) and _stored(n)))

    @property
    def loads(self) -> list[str]:
        """Every name it reads, once each, in reading order."""
        return list(dict.fromkeys(n.id for n in self._ordered_loads()))

    def reads(self, name: str) -> int:
        """How many times the statement reads `name`."""
        return name_reads(self.tree, name)

    def subjects(self) -> list[str]:
        """The names read, in reading order, less those only asked for their size (`x.shape[0]`)."""
        sized = {
            id(n.value)
            for n in ast.walk(self.tree)
            if isinstance(n, ast.Attribute) and n.attr in ("shape", "ndim", "dtype")
        }
        return [n.id for n in self._ordered_loads() if id(n) not in sized]

    def layer_calls(self) -> list[str]:
        """The attributes it calls as `self.attr(...)`."""
        return [
            n.func.attr
            for n in ast.walk(self.tree)
            if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and isinstance(n.func.value, ast.Name)
            and n.func.value.id == "self"
        ]

    def calls_of(self, attr: str) -> int:
        """How many times it mentions `self.attr` (called or not)."""
        return sum(1 for n in ast.walk(self.tree) if is_self_attr(n, attr))

    def _ordered_loads(self) -> list[ast.Name]:
        return [n for n in self.names() if not _stored(n)]

    # ---- changing it ---------------------------------------------------------------------
    def substituted(self, mapping: Mapping[str, Expr]) -> Statement:
        """A copy with names replaced: keys are local names or `self.attr`; values are names or expressions.
        Names after a dot, keyword names and strings are not names, so they are never touched."""
        if not mapping:
            return self
        trees = {k: expression(v) for k, v in mapping.items()}
        tree = _Substitute(trees).visit(copy.deepcopy(self.tree))
        return Statement(ast.fix_missing_locations(tree))

    # ---- writing it ----------------------------------------------------------------------
    def render(self) -> str:
        return ast.unparse(self.tree)

    def lines(self) -> list[str]:
        return self.render().split("\n")

    def __repr__(self) -> str:
        return f"Statement({self.render()!r})"


def render_all(statements: Iterable[Statement]) -> list[str]:
    return [line for s in statements for line in s.lines()]


def substitute_expr(value: Expr, mapping: Mapping[str, Expr]) -> str:
    """The text of an expression with names replaced (see Statement.substituted)."""
    if not mapping:
        return value if isinstance(value, str) else render_expr(value)
    trees = {k: expression(v) for k, v in mapping.items()}
    return render_expr(_Substitute(trees).visit(copy.deepcopy(expression(value))))


def _stored(node: ast.Name) -> bool:
    return isinstance(node.ctx, ast.Store | ast.Del)


def name_reads(tree: ast.AST, name: str) -> int:
    """How many times `tree` reads the name `name` (stores do not count)."""
    return sum(1 for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == name and not _stored(n))


def is_self_attr(node: ast.AST, attr: str | None = None) -> bool:
    """`self.attr` (any attribute of self when `attr` is None)."""
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
        and (attr is None or node.attr == attr)
    )


class _Substitute(ast.NodeTransformer):
    def __init__(self, mapping: dict[str, ast.expr]):
        self.mapping = mapping

    def visit_Name(self, node: ast.Name) -> ast.expr:
        new = self.mapping.get(node.id)
        if new is None:
            return node
        new = copy.deepcopy(new)
        if isinstance(new, ast.Name | ast.Tuple | ast.Attribute | ast.Subscript | ast.Starred | ast.List):
            _set_ctx(new, node.ctx)
        return new

    def visit_Attribute(self, node: ast.Attribute) -> ast.expr:
        if is_self_attr(node) and f"self.{node.attr}" in self.mapping:
            new = copy.deepcopy(self.mapping[f"self.{node.attr}"])
            _set_ctx(new, node.ctx)
            return new
        self.generic_visit(node)
        return node


def _set_ctx(node: ast.expr, ctx: ast.expr_context) -> None:
    if hasattr(node, "ctx"):
        node.ctx = type(ctx)()
    if isinstance(node, ast.Tuple | ast.List):
        for elt in node.elts:
            _set_ctx(elt, ctx)


def canonical(body: list[Statement], returns: list[str], params: list[str]) -> tuple[str, ...]:
    """The body with its local names numbered in order of appearance: instances of one class whose
    bodies differ only in the names of their locals (x vs hidden) are the same class."""
    names = list(params)
    for stmt in body:
        names += stmt.stores
    mapping = {name: f"__v{i}" for i, name in enumerate(dict.fromkeys(names))}
    return (
        *(stmt.substituted(mapping).render() for stmt in body),
        "#",
        *(substitute_expr(text, mapping) for text in returns),
    )
