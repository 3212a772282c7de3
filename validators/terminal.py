"""Rich tables in the terminal for `porter validate`, `porter report` and `porter kernels`.

Every string from a model or a results file goes through porter.text (markup() in tables and titles,
which rich parses, plain() in markup=False lines): `[/]` or an ANSI escape in a name is shown, never
interpreted.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from porter.text import markup, plain


def _verdict(passed: bool) -> str:
    return "[green]PASS[/green]" if passed else "[red]FAIL[/red]"


def _g(x) -> str:
    if x is None:
        return "-"
    return f"{x:.3g}" if isinstance(x, int | float) else markup(x)


def print_validate(result: dict, console: Console) -> None:
    for s in result["sets"]:
        shapes = ", ".join(f"{i['dtype']}{i['shape']}" for i in s["inputs"])
        table = Table(title=markup(f"{s['label']} ({shapes})"), title_justify="left")
        for col in ("output", "verdict", "max abs", "max rel", "cosine", "max ULP", "error bias"):
            table.add_column(col, overflow="fold")
        for o in s["outputs"]:
            m = o.get("metrics", {})
            table.add_row(
                markup(o["name"]), _verdict(o["passed"]), _g(m.get("max_abs")), _g(m.get("max_rel")),
                _g(m.get("cosine")), _g(m.get("max_ulp")), _g(m.get("error_bias")),
            )  # fmt: skip
        console.print(table)
        if s.get("crashed"):
            console.print(f"  crashed: {plain(s['crashed'])}", markup=False, highlight=False)
        for o in s["outputs"]:  # the why, in full, under the table: it is the point of a verdict
            console.print(f"  {plain(o['name'])}: {plain(o['reason'])}", markup=False, highlight=False)
    lw = result.get("layerwise")
    if lw:
        table = Table(title=markup(f"layerwise ({lw['input_set']}): error along the graph"), title_justify="left")
        for col in ("depth", "node", "op", "accumulated", "kernel alone"):
            table.add_column(col)
        for r in lw["rows"]:
            table.add_row(
                markup(r["depth"]), markup(r["node"] or r["value"]), markup(r["op_type"]),
                f"{_verdict(r['free']['passed'])} {_g(r['free'].get('scaled_error'))}",
                f"{_verdict(r['forced']['passed'])} {_g(r['forced'].get('scaled_error'))}",
            )  # fmt: skip
        console.print(table)
        console.print(plain(lw["conclusion"]), markup=False, highlight=False)
    golden = result.get("golden") or "no fp64 golden"
    console.print(plain(f"golden: {golden}; profile: {result['profile']['name']}"), markup=False, highlight=False)
    verdict = "PASS" if result["passed"] else "FAIL"
    console.print(
        plain(f"validate: {verdict} ({result['target']} on {result['device']})"), markup=False, highlight=False
    )


# the gradient table shows the worst parameters; the JSON has them all
TRAIN_GRADIENT_ROWS = 10


def print_training(result: dict, console: Console) -> None:
    """`porter validate --train`: the loss per step beside PyTorch's, then the gradients at step 1."""
    title = f"{result['steps']} AdamW steps, lr {result['lr']:g}, loss: {result['loss']}"
    table = Table(title=markup(title), title_justify="left")
    for col in ("step", "verdict", "PyTorch loss", "port loss", "rel diff"):
        table.add_column(col)
    for r in result["rows"]:
        table.add_row(str(r["step"]), _verdict(r["passed"]), f"{r['torch']:.9g}", f"{r['port']:.9g}", _g(r["rel"]))
    console.print(table)
    if result.get("crashed"):
        console.print(f"  crashed: {plain(result['crashed'])}", markup=False, highlight=False)
    grads = sorted(result["gradients"], key=lambda g: (g["passed"], -g.get("rel", float("inf"))))
    if grads:
        shown = grads[:TRAIN_GRADIENT_ROWS]
        table = Table(title=f"gradients at step 1: {len(grads)} parameters, worst {len(shown)}", title_justify="left")
        for col in ("parameter", "port", "verdict", "max abs", "rel to max |grad|"):
            table.add_column(col, overflow="fold")
        for g in shown:
            table.add_row(
                markup(g["parameter"]), markup(g["port"]), _verdict(g["passed"]), _g(g.get("max_abs")),
                _g(g.get("rel")) if "rel" in g else markup(g.get("reason", "")),
            )  # fmt: skip
        console.print(table)
    for name in result.get("unmapped", []):
        console.print(plain(f"  {name}: learns in PyTorch, no counterpart in the port"), markup=False, highlight=False)
    criteria = result["criteria"]
    console.print(
        plain(f"criteria: loss rel <= {criteria['loss_rtol']:g}, gradient rel <= {criteria['grad_rtol']:g}"),
        markup=False,
        highlight=False,
    )
    verdict = "PASS" if result["passed"] else "FAIL"
    console.print(
        plain(f"validate --train: {verdict} ({result['target']} on {result['device']})"), markup=False, highlight=False
    )


def print_kernels(result: dict, console: Console) -> None:
    title = f"kernels: {result['target']} on {result['device']} (profile {result['profile']['name']})"
    table = Table(title=markup(title))
    table.add_column("op")
    for dt in result["dtypes"]:
        table.add_column(markup(dt))
    for op in sorted(result["table"]):
        cells = []
        for dt in result["dtypes"]:
            c = result["table"][op].get(dt)
            if not c or not c["cases"]:
                cells.append("-" if not c else markup(c.get("status", "-")))
                continue
            mark = "[green]" if c["passed"] == c["cases"] else "[red]"
            cells.append(f"{mark}{markup(c['passed'])}/{markup(c['cases'])}[/] {_g(c['worst_scaled_error'])}")
        table.add_row(markup(op), *cells)
    console.print(table)
