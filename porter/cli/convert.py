"""`porter convert`: a source to OUT/ (model.py, weights, report.json), optionally validated and exported."""

from __future__ import annotations

import shlex
from pathlib import Path

import click
from rich.table import Table

from porter.cli.app import main
from porter.cli.options import MAX_SHARD_SIZE_OPTION
from porter.cli.shared import (
    PLUGIN_DOCS,
    PLUGIN_OPTION,
    TARGET_OPTION,
    console,
    dynamic_axes,
    out_console,
    status,
)
from porter.errors import (
    EXIT_OK,
    UnsupportedOp,
)
from porter.text import markup, plain


@main.command()
@click.argument("source")
@TARGET_OPTION
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    required=True,
    help="Output directory (model.py, weights, report.json). Written atomically.",
)
@click.option("--force", is_flag=True, help="Replace OUT if it exists and is not empty.")
@click.option(
    "--validate",
    is_flag=True,
    help="Then run `porter validate OUT` (source and fp64 golden, two input shapes, verdicts with reasons).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for --validate inputs.")
@click.option(
    "--dynamic",
    multiple=True,
    metavar="[INPUT:]DIMS",
    help="PyTorch sources: dim names kept symbolic. 'batch,seq' names axes 0, 1, ... of every input; "
    "'pixel_values:batch,_,h,w' names one input's axes ('_' keeps an axis static). Repeatable.",
)
@click.option(
    "--export",
    "export",
    type=click.Choice(["inference", "mindir"]),
    default=None,
    help="Also write a static export: inference (paddle.jit.save) for paddle, mindir for mindspore.",
)
@click.option(
    "--device",
    default="cpu",
    show_default=True,
    help="Device the port is for: cpu, gpu, ascend/npu, ... (selects device-specific rows of the mapping table).",
)
@click.option(
    "--train",
    "training",
    is_flag=True,
    help="PyTorch sources: export in train mode so Dropout is kept, active under train()/set_train() as in the source.",
)
@click.option(
    "--linear-layout",
    type=click.Choice(["source", "framework"]),
    default="source",
    show_default=True,
    help="source: Linear layers hold weights as the source does, so the port's state_dict is the PyTorch "
    "checkpoint's (Paddle: paddle.compat.nn.Linear). framework: the framework's own layer and layout (Paddle: "
    "nn.Linear, [in, out], written transposed; `porter weights` transposes a checkpoint to match), which "
    "Paddle's CPU inference runs faster. MindSpore's nn.Dense is [out, in] either way.",
)
@MAX_SHARD_SIZE_OPTION
@PLUGIN_OPTION
def convert(
    source, target, out_dir, force, validate, seed, dynamic, export, device, training, linear_layout, max_shard_size
):
    """Convert SOURCE into a standalone model for the target framework.

    \b
    SOURCE is an .onnx file, or a PyTorch factory: "package.module:factory" or
    "path/to/file.py:factory", returning (module, example_inputs). PyTorch models are exported
    through torch.onnx in a separate process; the exported graph is kept as OUT/source.onnx.
    """
    from porter.convert import convert as do_convert
    from porter.targets import get_target

    offered = get_target(target).export_kind
    if export is not None and export != offered:  # a wrong combination of options is a usage error (3)
        raise click.BadParameter(
            f"{export} is not a {target} export; use --export {offered} with --to {target}", param_hint="--export"
        )
    try:
        with status(markup(f"converting {source} for {target} ...")):
            result = do_convert(
                source,
                target,
                out_dir,
                force=force,
                dynamic=dynamic_axes(dynamic),
                export=export,
                device="ascend" if device == "npu" else device,
                training=training,
                max_shard_size=max_shard_size,
                linear_layout=linear_layout,
            )
    except UnsupportedOp as exc:
        exc.next_step = _unsupported_next_step(exc, source, target)
        raise
    _print_summary(result)
    if result.export is not None:
        out_console.print(
            f"static export: {', '.join(result.export['files'])} (max abs vs model.py "
            f"{result.export['max_abs_vs_generated']:.3g})",
            markup=False,
            highlight=False,
        )
    if validate:
        from porter.cli.validate import emit_validation
        from porter.validators.validate import validate as run_validation

        against = None if (out_dir / "source.onnx").exists() else source  # PyTorch sources: PyTorch itself
        with console.status("validating ...") as shown:
            report = run_validation(
                out_dir, against, seed=seed, device=device, progress=lambda m: shown.update(markup(m))
            )
        return emit_validation(report, None, None)
    return EXIT_OK


def _unsupported_next_step(exc: UnsupportedOp, source: str, target: str) -> str:
    """Where to look and what to do when a node has no mapping."""
    from porter.frontends.torch_source import is_torch_spec

    where = "which source module each blocking node sits in, and " if is_torch_spec(source) else ""
    return (
        f"`porter inspect {shlex.quote(str(source))} --to {target}` lists {where}every other node that blocks; "
        f"a mapping for {exc.op_type} is a function registered with registry.register({exc.op_type!r}) in "
        f"op_maps/{target}/ (README, 'How it works'), or, without changing porter, in a plugin: "
        f"--plugin FILE.py ({PLUGIN_DOCS})"
    )


def _print_summary(result) -> None:
    counts: dict[str, int] = {}
    for row in result.ops:
        counts[row["op_type"]] = counts.get(row["op_type"], 0) + 1
    table = Table(title=markup(f"{result.source} -> {result.target}"), show_lines=False)
    table.add_column("op")
    table.add_column("count", justify="right")
    for op_type, n in sorted(counts.items()):
        table.add_row(markup(op_type), str(n))
    out_console.print(table)
    for w in result.warnings:
        console.print(f"warning: {plain(w)}", style="yellow", markup=False, highlight=False)
    out_console.print(
        plain(f"wrote {result.out_dir} ({len(result.ops)} nodes, {result.seconds:.2f}s)"), markup=False, highlight=False
    )
