"""Control flow for every target: If, Loop, Scan become Python if/while/for around the lowered bodies.

The structure is the same for each framework; a target supplies only its vocabulary (how to make an
int64/bool scalar tensor, stack a list, take one slice along an axis) and registers the emitters with
`register_control_flow`. A condition is read with bool() and a trip count with int(), so the generated
model runs eagerly (Paddle's dynamic mode, MindSpore's PYNATIVE_MODE).
"""

from dataclasses import dataclass

from porter.codegen.statements import render_all
from porter.registry import schema_versions


@dataclass(frozen=True)
class Vocabulary:
    int64_scalar: str  # "{value}" -> an int64 scalar tensor
    bool_scalar: str  # "{value}" -> a bool scalar tensor
    stack: str  # "{items}", "{axis}"
    take: str  # "{x}", "{axis}", "{index}" -> the slice at index, axis removed


INDENT = "    "


class _Text:
    """The lines of one control-flow statement, handed to lowering whole once complete (a block header
    alone is not a statement)."""

    def __init__(self):
        self.lines: list[str] = []

    def stmt(self, line: str) -> None:
        self.lines.append(line)

    def body(self, statements, depth: int = 1) -> None:
        for line in render_all(statements):
            self.lines.append(INDENT * depth + line)

    def close(self, n) -> None:
        n.stmt("\n".join(self.lines))


def _assign(targets: list[str], exprs: list[str]) -> str:
    if len(targets) == 1:
        return f"{targets[0]} = {exprs[0]}"
    return f"{', '.join(targets)} = {', '.join(exprs)}"


def if_(n, vocab: Vocabulary):
    """Python if/else on bool(cond) around the two lowered branches"""
    out = _Text()
    n.require_eager("If reads its condition with bool()")
    then_lines, then_outs = n.subgraph("then_branch", [])
    else_lines, else_outs = n.subgraph("else_branch", [])
    outs = [n.out(i) for i in range(n.num_outputs)]
    out.stmt(f"if bool({n.x(0)}):")
    out.body(then_lines)
    out.stmt(INDENT + _assign(outs, then_outs))
    out.stmt("else:")
    out.body(else_lines)
    out.stmt(INDENT + _assign(outs, else_outs))
    out.close(n)


def loop(n, vocab: Vocabulary):
    """Python while loop: trip count M and condition as in the ONNX spec, scan outputs stacked on axis 0"""
    out = _Text()
    n.require_eager("Loop reads its trip count and condition in Python")
    carried_inits = [n.x(i) for i in range(2, n.num_inputs)]
    body_names = n.subgraph_inputs("body")
    iter_var = n.tmp(body_names[0] if body_names else "i")
    cond_var = n.tmp(body_names[1] if len(body_names) > 1 else "cond")
    carried = [n.tmp(name) for name in body_names[2:]]
    trip = n.tmp("trip_count")
    keep_going = n.tmp("keep_going")
    step = n.tmp("step")
    n_carried = len(carried_inits)
    n_scans = n.num_outputs - n_carried
    scans = [n.tmp("scan") for _ in range(n_scans)]
    out.stmt(f"{trip} = int({n.x(0)})" if n.has_input(0) else f"{trip} = None")
    out.stmt(f"{keep_going} = bool({n.x(1)})" if n.has_input(1) else f"{keep_going} = True")
    for var, init in zip(carried, carried_inits):
        out.stmt(f"{var} = {init}")
    for scan in scans:
        out.stmt(f"{scan} = []")
    out.stmt(f"{step} = 0")
    out.stmt(f"while ({trip} is None or {step} < {trip}) and {keep_going}:")
    out.stmt(f"{INDENT}{iter_var} = {vocab.int64_scalar.format(value=step)}")
    out.stmt(f"{INDENT}{cond_var} = {vocab.bool_scalar.format(value=keep_going)}")
    lines, outs = n.subgraph("body", [iter_var, cond_var, *carried])
    out.body(lines)
    out.stmt(f"{INDENT}{keep_going} = bool({outs[0]})")
    if carried:
        out.stmt(INDENT + _assign(carried, outs[1 : 1 + n_carried]))
    for scan, expr in zip(scans, outs[1 + n_carried :]):
        out.stmt(f"{INDENT}{scan}.append({expr})")
    out.stmt(f"{INDENT}{step} += 1")
    for i, var in enumerate(carried):
        if n.has_output(i):
            out.stmt(f"{n.out(i)} = {var}")
    for k, scan in enumerate(scans):
        if n.has_output(n_carried + k):
            out.stmt(f"{n.out(n_carried + k)} = {vocab.stack.format(items=scan, axis=0)}")
    out.close(n)


def scan(n, vocab: Vocabulary):
    """Python for loop over slices of the scan inputs; per-input axes and directions as in the spec"""
    out = _Text()
    num_scan_inputs = n.attr("num_scan_inputs")
    n_state = n.num_inputs - num_scan_inputs
    n_scan_out = n.num_outputs - n_state
    in_axes = n.attr("scan_input_axes", [0] * num_scan_inputs)
    in_dirs = n.attr("scan_input_directions", [0] * num_scan_inputs)
    out_axes = n.attr("scan_output_axes", [0] * n_scan_out)
    out_dirs = n.attr("scan_output_directions", [0] * n_scan_out)
    scan_inputs = [n.x(n_state + j) for j in range(num_scan_inputs)]
    body_names = n.subgraph_inputs("body")
    states = [n.tmp(name) for name in body_names[:n_state]]
    slices = [n.tmp(name) for name in body_names[n_state:]]
    collected = [n.tmp("scan") for _ in range(n_scan_out)]
    length, t = n.tmp("seq_len"), n.tmp("t")
    for var, init in zip(states, (n.x(i) for i in range(n_state))):
        out.stmt(f"{var} = {init}")
    for var in collected:
        out.stmt(f"{var} = []")
    first_axis = in_axes[0]
    out.stmt(f"{length} = {scan_inputs[0]}.shape[{first_axis}]")
    out.stmt(f"for {t} in range({length}):")
    for var, src, axis, direction in zip(slices, scan_inputs, in_axes, in_dirs):
        index = f"{length} - 1 - {t}" if direction else t
        out.stmt(f"{INDENT}{var} = {vocab.take.format(x=src, axis=axis, index=index)}")
    lines, outs = n.subgraph("body", [*states, *slices])
    out.body(lines)
    if states:
        out.stmt(INDENT + _assign(states, outs[:n_state]))
    for var, expr in zip(collected, outs[n_state:]):
        out.stmt(f"{INDENT}{var}.append({expr})")
    for i, var in enumerate(states):
        if n.has_output(i):
            out.stmt(f"{n.out(i)} = {var}")
    for k, (var, axis, direction) in enumerate(zip(collected, out_axes, out_dirs)):
        if n.has_output(n_state + k):
            items = f"{var}[::-1]" if direction else var
            out.stmt(f"{n.out(n_state + k)} = {vocab.stack.format(items=items, axis=axis)}")
    out.close(n)


def register_control_flow(registry, vocab: Vocabulary) -> None:
    """Register If, Loop and Scan (9+; Scan-8 has a batch axis and sequence_lens) for one target."""

    def bind(fn, doc):
        def emit(n):
            return fn(n, vocab)

        emit.__name__, emit.__doc__, emit.__module__ = fn.__name__, doc, "control"
        return emit

    registry.register("If")(bind(if_, if_.__doc__))
    registry.register("Loop")(bind(loop, loop.__doc__))
    registry.register("Scan", versions=[v for v in schema_versions("Scan") if v >= 9])(bind(scan, scan.__doc__))
