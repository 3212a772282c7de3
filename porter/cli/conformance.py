"""`porter conformance`: the ONNX backend node suite, or the model-zoo CNNs, through porter."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
from rich.table import Table

from porter.cli.app import main
from porter.cli.shared import (
    TARGET_OPTION,
    console,
    out_console,
    progress_bar,
    write_text,
)
from porter.errors import (
    EXIT_OK,
)
from porter.text import plain


@main.command()
@TARGET_OPTION
@click.option("--filter", "op_filter", multiple=True, help="Only these op types (repeatable, case-insensitive).")
@click.option("--name", "name_filter", default=None, help="Only cases whose name contains this text.")
@click.option("--json", "json_path", type=click.Path(path_type=Path), default=None, help="Write full results here.")
@click.option("-j", "--jobs", type=int, default=os.cpu_count() or 2, show_default=True, help="Worker processes.")
@click.option("--timeout", type=float, default=120.0, show_default=True, help="Seconds per case before it is killed.")
@click.option(
    "--show",
    type=click.Choice(["none", "failures", "all"]),
    default="none",
    show_default=True,
    help="Print each case's status and reason.",
)
@click.option("--zoo", is_flag=True, help="Run the nine model-zoo CNNs from the onnx wheel instead of the node suite.")
@click.option(
    "--native-kernels",
    is_flag=True,
    help="Run the framework's CPU kernels in their default (fastest, not bitwise-reproducible) mode "
    "instead of MKL_CBWR=COMPATIBLE; see docs/known-deviations.md.",
)
@click.option("--graph-mode", is_flag=True, help="MindSpore: run the generated Cells under GRAPH_MODE (compiled).")
def conformance(target, op_filter, name_filter, json_path, jobs, timeout, show, zoo, native_kernels, graph_mode):
    """Run the ONNX backend node suite (shipped in the onnx wheel) through porter and the target.

    \b
    Each case ends as: passed; refused (porter declined at convert time, with a reason);
    mismatch (converted but wrong numbers, shape or dtype); crashed (the generated code raised,
    or its worker process died or hung). Only applicable cases count: default-domain graphs whose
    inputs and outputs are numeric tensors.
    """
    from porter.conformance import collect_cases, run_conformance

    if graph_mode:
        os.environ["PORTER_MS_MODE"] = "graph"  # read by the MindSpore runtime in each worker
    with console.status("collecting cases ..."):
        if zoo:
            from porter.zoo import zoo_cases

            cases = [c for c in zoo_cases() if not name_filter or name_filter in c.name]
        else:
            cases = collect_cases(list(op_filter) or None, name_filter)
    if not cases:
        raise click.UsageError("no applicable cases match the filter")
    with progress_bar() as progress:
        task = progress.add_task(f"conformance -> {target}", total=len(cases))

        def tick(result):
            progress.advance(task)

        summary = run_conformance(
            target, cases, jobs=jobs, timeout=timeout, progress=tick, deterministic=not native_kernels
        )
    by_op = summary.by_op()
    table = Table(title=f"ONNX node suite -> {target}")
    table.add_column("op")
    for status in ("passed", "refused", "mismatch", "crashed"):
        table.add_column(status, justify="right")
    for op_type, counts in by_op.items():
        table.add_row(
            op_type, *(str(counts[s]) if counts[s] else "" for s in ("passed", "refused", "mismatch", "crashed"))
        )
    out_console.print(table)
    if show != "none":
        for r in sorted(summary.results, key=lambda r: r.name):
            if show == "all" or r.status != "passed":
                out_console.print(plain(f"{r.status:9} {r.name}: {r.detail}"), markup=False, highlight=False)
    totals = summary.counts()
    out_console.print(
        f"{len(summary.results)} applicable cases: {totals['passed']} passed, {totals['refused']} refused, "
        f"{totals['mismatch']} mismatch, {totals['crashed']} crashed",
        markup=False,
        highlight=False,
    )
    if json_path:
        write_text(json_path, json.dumps(summary.to_json(), indent=1) + "\n")
    return EXIT_OK
