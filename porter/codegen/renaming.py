"""Readable local names for the generated module classes, chosen once their code is final.

Lowering names each value after the exporter's fx node (`view_1`, `transpose_3`, `unsqueeze_10`): the
counter tells a reader nothing. Here, per forward, a numbered name becomes (in this order):
- `hidden_states` for the value a loop over a module list carries (`for layer in self.layers`);
- the name of the one layer its expression calls (`self.q_proj(x)` -> `q`, `self.embed_tokens` ->
  `embed_tokens`);
- the name of the statement's subject (the first variable it reads) when this is the subject's last
  read, as a hand port rebinds (`k = paddle.transpose(k, [0, 2, 1, 3])`);
- its own name without the counter, when that is free, else that name after its subject's
  (`arange_unsqueeze`), else the parameter it reads (`down_proj = paddle.transpose(self.down_proj, ...)`).
The parts a split makes are named after what is split, in order (`q_states_a, q_states_b = paddle.split(
q_states, ...)`), whatever the exporter called them.
A class's parameters take the names its callers pass (`cos`, `sin`), when every call agrees. Renaming is
a substitution of name nodes in the statements' trees (porter.codegen.statements), so strings and
attributes are untouched.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from porter.codegen.statements import Statement, expression, is_self_attr, render_expr, substitute_expr
from porter.naming import RESERVED, identifier

NUMBERED = re.compile(r"(_\d+|^val_\d+|^v_\d+)$")
LOOP_CARRIED = "hidden_states"
DERIVED_LIMIT = 28  # characters: `hidden_states_mul_gathernd` yes, `kv_a_proj_with_mqa_split_slice` no
_LIST_CTORS = re.compile(r"\[(.*)\]")
_CTOR = re.compile(r"^([A-Za-z_]\w*)\([^()]*\)$")  # Block() or a sized layer class, Conv1D(32, 96)


@dataclass
class _Statement:
    stores: list[str]
    loads: list[str]
    subjects: list[str]  # the loads in reading order, less those only asked for their size (x.shape[0])
    layer_calls: list[str]  # attributes called as self.attr(...)
    is_loop: bool
    roles: tuple[str, ...] = ()  # what each assigned name is, for calls whose outputs have names (topk)
    parameters: tuple[str, ...] = ()  # the attributes of self it reads that are not called (self.down_proj)


# Calls whose several results each have a name of their own (torch.topk's `values, indices`), by the last part
# of the callable's name (`paddle.topk`, `ops.topk`, porter's `_top_k` helper).
OUTPUT_ROLES = {
    "topk": ("values", "indices"),
    "_top_k": ("values", "indices"),
    "sort": ("values", "indices"),
    "_sort": ("values", "indices"),
}


# Calls whose results are the parts of their input, in order: named after it with a letter each
SPLITS = {"split", "_split", "chunk", "unbind", "tensor_split"}
PART = "_part_"  # the role of a split's result: `{subject}_{letter}`, never the letter alone


def _roles(stmt: Statement) -> tuple[str, ...]:
    value = stmt.value
    if _slices_of_one(value) and len(stmt.assigned) == len(value.elts) <= 26:  # a split written as slices
        return tuple(PART + chr(ord("a") + i) for i in range(len(stmt.assigned)))
    if not isinstance(value, ast.Call) or len(stmt.assigned) < 2:
        return ()
    func = value.func
    last = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if last in SPLITS and len(stmt.assigned) <= 26:
        return tuple(PART + chr(ord("a") + i) for i in range(len(stmt.assigned)))
    roles = OUTPUT_ROLES.get(last, ())
    return roles if len(roles) == len(stmt.assigned) else ()


def _slices_of_one(value: ast.expr | None) -> bool:
    """`(x[:, :32], x[:, 32:64])`: the parts of one tensor (MindSpore's spelling of an even split)."""
    if not isinstance(value, ast.Tuple) or len(value.elts) < 2:
        return False
    sliced = [e.value for e in value.elts if isinstance(e, ast.Subscript) and isinstance(e.value, ast.Name)]
    return len(sliced) == len(value.elts) and len({name.id for name in sliced}) == 1


def _parameters_read(stmt: Statement) -> tuple[str, ...]:
    called = {id(node.func) for node in ast.walk(stmt.tree) if isinstance(node, ast.Call)}
    found = [n.attr for n in ast.walk(stmt.tree) if is_self_attr(n) and id(n) not in called]
    return tuple(dict.fromkeys(found))


def _statements(lines: list[Statement]) -> list[_Statement]:
    found = []
    for stmt in lines:
        names = stmt.names()  # in reading order: the first input read is the statement's subject
        stores = [n.id for n in names if not isinstance(n.ctx, ast.Load)]
        loads = [n.id for n in names if isinstance(n.ctx, ast.Load)]
        found.append(
            _Statement(
                list(dict.fromkeys(stores)),
                list(dict.fromkeys(loads)),
                stmt.subjects(),
                stmt.layer_calls(),
                stmt.is_loop,
                _roles(stmt),
                _parameters_read(stmt),
            )
        )
    return found


def _uncounted(name: str) -> str:
    return re.sub(r"_\d+$", "", name)


def _layer_name(attr: str) -> str:
    base = re.sub(r"_proj$", "", attr)
    return identifier(base if base and base not in RESERVED else f"{attr}_out", "h")


def rename_locals(
    params: list[str],
    lines: list[Statement],
    returns: list[str],
    *,
    preferred: dict[str, str],
    rebind: bool,
    fixed: frozenset[str] = frozenset(),
    hints: dict[str, str] | None = None,
) -> dict[str, str]:
    """old -> new names for one forward's parameters and locals (see the module docstring); `fixed`
    names (the model's own inputs) keep their name and value throughout; `hints` are the variables the
    source assigned the values to."""
    statements = _statements(lines)
    last_read: dict[str, int] = {}
    for i, stmt in enumerate(statements):
        for name in stmt.loads:
            last_read[name] = i
    for text in returns:
        for name in (n.id for n in ast.walk(expression(text)) if isinstance(n, ast.Name)):
            last_read[name] = len(statements)
    in_loops = {name for stmt in statements if stmt.is_loop for name in stmt.stores}
    # every name in the body is taken until it is renamed away: a new name never meets an old one
    used = {*params, *(n for stmt in statements for n in (*stmt.stores, *stmt.loads)), *last_read}
    mapping: dict[str, str] = {}
    originals = frozenset(used)
    first_store: dict[str, int] = {name: -1 for name in params}
    for i, stmt in enumerate(statements):
        for name in stmt.stores:
            first_store.setdefault(name, i)

    def reuse(old: str, new: str, at: int) -> bool:
        """Give `old` (assigned at statement `at`) the name `new` when no value held under `new` is alive
        at the same time, as a hand port rebinds `hidden_states` again and again."""
        if new in RESERVED or new in fixed or new in in_loops or (new == LOOP_CARRIED and in_loops):
            return False
        if new == old:
            return True
        end = last_read.get(old, at)
        for other in originals:
            if other == old or mapping.get(other, other) != new:
                continue
            if other not in first_store:
                return False  # read but never assigned here (a module name, a builtin)
            start, stop = first_store[other], last_read.get(other, first_store[other])
            if not (stop <= at or start >= end):
                return False
        used.discard(old)
        used.add(new)
        mapping[old] = new
        return True

    def take(old: str, candidates: list[str]) -> None:
        for new in candidates:
            if new == old:
                return
            if new and new not in used and new not in RESERVED:
                used.discard(old)
                used.add(new)
                mapping[old] = new
                return

    for name in params:
        if name in preferred:
            choice = preferred[name]  # a caller's name, unless that is numbered too
            take(name, [_uncounted(name), choice] if NUMBERED.search(choice) else [choice, _uncounted(name)])
        elif NUMBERED.search(name) and name not in fixed:
            take(name, [_uncounted(name)])
    locals_ = set(params)
    for i, stmt in enumerate(statements):
        for name in stmt.stores:
            if name in locals_ or name in mapping:
                continue
            locals_.add(name)
            hint = (hints or {}).get(name)
            if hint and not stmt.is_loop and name not in in_loops and reuse(name, identifier(hint, "h"), i):
                continue
            parts = stmt.roles and stmt.roles[0].startswith(PART)
            if not NUMBERED.search(name) and not parts:  # a split's parts are renamed together
                continue
            if name in in_loops:
                take(name, [LOOP_CARRIED] if not stmt.is_loop else [])
                continue
            if len(stmt.stores) == 1 and not stmt.is_loop:
                if len(stmt.layer_calls) == 1:
                    layer = _layer_name(stmt.layer_calls[0])
                    if layer not in used:
                        take(name, [layer])
                        continue
                subject = next((m for m in stmt.subjects if m in locals_ and m != name), None)
                rebindable = subject is not None and subject not in in_loops and subject not in fixed
                if rebind and rebindable and last_read.get(subject) == i:
                    mapping[name] = mapping.get(subject, subject)  # the subject's last read: it becomes this value
                    used.discard(name)
                    continue
            if stmt.roles:  # `values, indices = paddle.topk(...)`, or after the subject: `router_values`
                role = stmt.roles[stmt.stores.index(name)]
                subject = next((m for m in stmt.subjects if m in locals_ and m != name), None)
                subject = mapping.get(subject, subject)
                if role.startswith(PART):
                    role = role[len(PART) :]
                    derived = f"{subject}_{role}" if subject and not NUMBERED.search(subject) else ""
                    take(name, [derived if len(derived) <= DERIVED_LIMIT else ""])
                    continue
                derived = f"{subject}_{role}" if subject and not NUMBERED.search(subject) else ""
                take(name, [role, derived if len(derived) <= DERIVED_LIMIT else ""])
                if name in mapping:
                    continue
            base = _uncounted(name)
            # the derivation names the subject, or else the tensor whose size it reads (input_ids_arange)
            subject = next((m for m in [*stmt.subjects, *stmt.loads] if m in locals_ and m != name), None)
            subject = mapping.get(subject, subject)
            derived = f"{subject}_{base}" if subject and not NUMBERED.search(subject) else ""
            if len(derived) > DERIVED_LIMIT:  # a derivation of a derivation reads worse than a counter
                derived = ""
            # a value computed from a parameter alone is named after it (the experts' transposed bank)
            parameter = stmt.parameters[0] if len(stmt.parameters) == 1 and not subject else ""
            take(name, [base, derived, identifier(parameter, "h") if parameter else ""])
    return {old: new for old, new in mapping.items() if old != new}


def apply(mapping: dict[str, str], lines: list[Statement], returns: list[str]) -> None:
    if mapping:
        lines[:] = [stmt.substituted(mapping) for stmt in lines]
        returns[:] = [substitute_expr(text, mapping) for text in returns]


def _children(init_body: list[Statement]) -> dict[str, list[str]]:
    """attribute -> the class of each member ([one] for a plain child module, one per list member)."""
    found = {}
    for stmt in init_body:
        attr = stmt.attribute_target
        if attr is None:
            continue
        ctor = render_expr(stmt.value)
        plain = _CTOR.match(ctor)
        if plain:
            found[attr] = [plain.group(1)]
            continue
        listed = _LIST_CTORS.search(ctor)
        if listed:
            body = listed.group(1)
            repeat = re.match(r"^(\w+)\(\) for _ in range\(\d+\)$", body)
            found[attr] = [repeat.group(1)] if repeat else re.findall(r"(\w+)\([^()]*\)", body)
    return found


def _call_args(init_body: list[Statement], lines: list[Statement]) -> dict[str, list[list[str | None]]]:
    """class name -> the argument names (None where an argument is not a plain name) at each call."""
    children = _children(init_body)
    tree = ast.Module(body=[stmt.tree for stmt in lines], type_ignores=[])
    loop_vars: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name) and isinstance(node.iter, ast.Attribute):
            loop_vars[node.target.id] = node.iter.attr
    calls: dict[str, list[list[str | None]]] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or node.keywords:
            continue
        func, attr = node.func, None
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
            attr = func.attr
        elif isinstance(func, ast.Subscript) and isinstance(func.value, ast.Attribute):
            attr = func.value.attr
        elif isinstance(func, ast.Name):
            attr = loop_vars.get(func.id)
        # a plain name, or the attribute a constant lives in (`self.cos`): the name a parameter can take
        args = [a.id if isinstance(a, ast.Name) else a.attr if is_self_attr(a) else None for a in node.args]
        for class_name in children.get(attr, []):
            calls.setdefault(class_name, []).append(args)
    return calls


def rename_program(program) -> None:
    """Rename the locals of every generated class and of the top-level forward. The top-level forward's
    variables are tapped by layerwise validation: value_map follows the new names, and a name rebound to
    a later value keeps the value of its first assignment, the one a tap sees."""
    inputs = frozenset(program.input_names)  # the model's inputs keep their names and values
    root_map = rename_locals(
        program.input_names,
        program.forward_body,
        program.return_exprs,
        preferred={},
        rebind=True,
        fixed=inputs,
        hints=program.source_hints,
    )
    apply(root_map, program.forward_body, program.return_exprs)
    mapped, seen = [], set()
    for row in program.value_map:
        var = root_map.get(row["var"], row["var"])
        if var not in seen:
            seen.add(var)
            mapped.append({**row, "var": var})
    program.value_map[:] = mapped
    calls = _call_args(program.init_body, program.forward_body)
    for cls in reversed(program.classes):  # parents before children: a child takes its callers' names
        preferred = {}
        for position, param in enumerate(cls.params):
            names = {args[position] if position < len(args) else None for args in calls.get(cls.name, [])}
            if len(names) == 1 and None not in names:
                preferred[param] = names.pop()
        mapping = rename_locals(
            cls.params, cls.forward_body, cls.return_exprs, preferred=preferred, rebind=True, hints=cls.hints
        )
        apply(mapping, cls.forward_body, cls.return_exprs)
        cls.params[:] = [mapping.get(p, p) for p in cls.params]
        for name, args in _call_args(cls.init_body, cls.forward_body).items():
            calls.setdefault(name, []).extend(args)
