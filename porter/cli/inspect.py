"""`porter inspect` (what converting a model would meet) and `porter ops` (the mapping tables)."""

from __future__ import annotations

import json

import click
from rich.table import Table

from porter.cli.app import main
from porter.cli.shared import (
    PLUGIN_DOCS,
    PLUGIN_OPTION,
    TARGET_OPTION,
    dynamic_axes,
    out_console,
)
from porter.errors import (
    EXIT_CONVERSION,
    EXIT_OK,
)
from porter.text import markup, plain


@main.command()
@click.argument("source")
@TARGET_OPTION
@click.option("--format", "fmt", type=click.Choice(["table", "json", "md"]), default="table", show_default=True)
@click.option(
    "--dynamic",
    multiple=True,
    metavar="[INPUT:]DIMS",
    help="PyTorch sources: dims kept symbolic (e.g. batch,seq or input_ids:batch,seq), as in convert.",
)
@PLUGIN_OPTION
def inspect(source, target, fmt, dynamic):
    """Day-one readiness: every op, the mapping it will use, and all that blocks conversion (exit 2).

    SOURCE is an .onnx file or a PyTorch factory (pkg.module:factory or file.py:factory), which is
    exported first, in its own process.
    """
    from porter.inspect import inspect_model

    report = inspect_model(source, target, dynamic=dynamic_axes(dynamic) or None)
    if fmt == "json":
        click.echo(json.dumps(report, indent=1))  # JSON escapes control characters itself
    elif fmt == "md":
        click.echo(plain(_inspect_markdown(source, report), newlines=True))
    else:
        table = Table(title=markup(f"{source} -> {target}: {report['nodes']} nodes, opsets {report['opsets']}"))
        for col in ("op", "count", "since", "mapping"):
            table.add_column(col)
        for row in report["ops"]:
            style = "red" if row["mapping"] == "REFUSED" else None
            cells = (row["op_type"], row["count"], row["since"] or "-", row["mapping"])
            table.add_row(*(markup(c) for c in cells), style=style)
        out_console.print(table)
        for p in report["problems"]:
            where = f" in {p['module']}" if p["module"] else ""
            out_console.print(
                plain(f"blocked: {p['node']} ({p['op_type']}){where}: {p['reason']}"),
                markup=False,
                highlight=False,
                style="red",
            )
        if report["dynamic_dims"]:
            out_console.print(plain(f"symbolic dims kept symbolic: {', '.join(report['dynamic_dims'])}"), markup=False)
        if report["problems"]:
            out_console.print(f"your own mappings for these ops: --plugin FILE.py ({PLUGIN_DOCS})", markup=False)
        verdict = "ready to convert" if report["convertible"] else f"{len(report['problems'])} node(s) block conversion"
        out_console.print(verdict, markup=False)
    return EXIT_OK if report["convertible"] else EXIT_CONVERSION


def _inspect_markdown(source, report: dict) -> str:
    lines = [f"# {source} -> {report['target']}", "", "| op | count | since | mapping |", "|---|---|---|---|"]
    lines += [f"| {r['op_type']} | {r['count']} | {r['since'] or '-'} | {r['mapping']} |" for r in report["ops"]]
    if report["problems"]:
        lines += ["", "## Blocking", "", "| node | op | module | reason |", "|---|---|---|---|"]
        lines += [f"| {p['node']} | {p['op_type']} | {p['module']} | {p['reason']} |" for p in report["problems"]]
        lines += ["", f"Your own mappings for these ops: `--plugin FILE.py` ({PLUGIN_DOCS})."]
    return "\n".join(lines)


@main.command()
@TARGET_OPTION
@click.option("--format", "fmt", type=click.Choice(["table", "md", "json"]), default="table", show_default=True)
@PLUGIN_OPTION
def ops(target, fmt):
    """List the ONNX operators and opset versions each target supports (from the registry)."""
    from porter.support import coverage, coverage_markdown

    rows = coverage([target])
    if fmt == "json":
        out_console.print_json(json.dumps(rows))
    elif fmt == "md":
        click.echo(coverage_markdown([target]))
    else:
        table = Table(title=f"ONNX operators -> {target}")
        table.add_column("op")
        table.add_column("versions mapped")
        table.add_column("versions onnx defines")
        for row in rows["ops"] + rows["custom"]:  # plugins' custom-domain ops last, as domain::op
            mapped = row["targets"][target]
            table.add_row(row["op_type"], ", ".join(map(str, mapped)) or "-", ", ".join(map(str, row["versions"])))
        out_console.print(table)
        out_console.print(f"{rows['summary'][target]['ops_mapped']} of {rows['summary']['onnx_ops']} operators mapped")
    return EXIT_OK
