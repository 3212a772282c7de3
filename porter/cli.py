"""The `porter` command line.

Exit codes: 0 success, 1 parity failure, 2 conversion failure (unsupported op, bad input), 3 usage.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from porter.errors import (
    EXIT_CONVERSION,
    EXIT_OK,
    EXIT_PARITY,
    EXIT_USAGE,
    PorterError,
    UnsupportedOp,
    interrupted,
    situation,
)
from porter.targets import target_names
from porter.text import markup, plain
from porter.weights import MAX_SHARD_SIZE_OPTION

console = Console(stderr=True, soft_wrap=True)
out_console = Console(soft_wrap=True)

TARGET_OPTION = click.option(
    "--to",
    "target",
    type=click.Choice(target_names()),
    default="paddle",
    show_default=True,
    help="Target framework.",
)


def _load_plugins(ctx, param, values):
    if values:
        from porter import plugins

        plugins.load(values)  # a PluginError exits 3 (usage), naming the plugin and the problem


PLUGIN_OPTION = click.option(
    "--plugin",
    "plugins",
    multiple=True,
    metavar="FILE.py|MODULE",
    expose_value=False,
    is_eager=True,
    callback=_load_plugins,
    help="Load your own op mappings / torch.onnx translations from a .py file or module (repeatable; docs/plugins.md).",
)


def report_options(command):
    """--report r.html and --json r.json, shared by validate, report and kernels."""
    command = click.option(
        "--json", "json_path", type=click.Path(path_type=Path), default=None, help="Write the results as JSON."
    )(command)
    return click.option(
        "--report", "html_path", type=click.Path(path_type=Path), default=None, help="Write an HTML report."
    )(command)


def bundle_option(what: str):
    return click.option(
        "--bundle",
        "bundle_path",
        type=click.Path(path_type=Path),
        default=None,
        help=f"Do not run here: {what} into a .tar.gz for `python run_bundle.py` on the device's machine.",
    )


RAY_OPTION = click.option(
    "--ray",
    "ray_address",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[ADDRESS]",
    help="Run the work items as Ray tasks that request the device ({'NPU': 1}, a GPU): on a new local Ray "
    "instance, or on the cluster at ADDRESS (e.g. auto, ray://head:10001). Needs porter-convert[ray].",
)


def _terminate(signum, frame):
    raise KeyboardInterrupt  # so SIGTERM unwinds like Ctrl-C: partial outputs are removed


def _quiet_leftovers() -> None:
    """After an interruption, a full disk or a size limit is reported, the objects a library left
    half-written (a ZipFile whose central directory was never written, a buffered file that cannot flush)
    fail again when they are collected at exit, as "Exception ignored ..." tracebacks: consequences of
    what was already said, in one line."""
    sys.unraisablehook = lambda unraisable: None


class _Group(click.Group):
    def main(self, *args, **kwargs):
        kwargs.setdefault("standalone_mode", False)
        signal.signal(signal.SIGTERM, _terminate)
        debug = "--debug" in sys.argv[1:]
        try:
            rv = super().main(*args, **kwargs)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.UsageError as exc:
            exc.show()
            sys.exit(EXIT_USAGE)
        except (click.Abort, KeyboardInterrupt):
            _quiet_leftovers()
            click.echo("aborted", err=True)
            sys.exit(EXIT_CONVERSION)
        except PorterError as exc:
            if debug:
                raise
            if situation(exc) is not None:
                _quiet_leftovers()
            step = f"; next: {exc.next_step}" if exc.next_step else ""
            click.echo(f"error: {plain(exc)}{plain(step)}", err=True)
            sys.exit(exc.exit_code)
        except Exception as exc:
            if debug:
                raise
            # an interruption or a full disk seen through a library's cleanup error is the user's
            # situation, not a bug: say what happened, in one line
            if interrupted(exc):
                _quiet_leftovers()
                click.echo("aborted", err=True)
            elif situation(exc) is not None:
                _quiet_leftovers()
                click.echo(f"error: {plain(situation(exc))}", err=True)
            else:  # a porter bug: one line, the traceback only with --debug
                click.echo(
                    f"internal error: {type(exc).__name__}: {plain(exc)} (a porter bug; --debug shows the traceback)",
                    err=True,
                )
            sys.exit(EXIT_CONVERSION)
        sys.exit(rv if isinstance(rv, int) else EXIT_OK)


def _progress():
    """The bar long runs show (description, bar, done of total, time), gone when the run ends."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _dynamic_axes(values: tuple[str, ...]) -> list[str]:
    """--dynamic values as porter.convert's list: "batch,seq" splits into names for every input;
    "input:dims" stays one entry (parsed, and checked, by the PyTorch front end)."""
    axes: list[str] = []
    for value in values:
        axes += [value] if ":" in value else [d.strip() for d in value.split(",") if d.strip()]
    return axes


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="porter-convert", prog_name="porter")
@click.option("--debug", is_flag=True, help="Show Python tracebacks for errors (they are one line otherwise).")
def main(debug):
    """porter: port ONNX (and PyTorch) models to PaddlePaddle as readable code, with numeric proof.

    \b
    Exit codes: 0 success, 1 parity failure, 2 conversion failure (also an
    internal error), 3 usage error.
    """
    del debug  # read in _Group.main, before click parses, so errors raised while parsing obey it too


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
@MAX_SHARD_SIZE_OPTION
@PLUGIN_OPTION
def convert(source, target, out_dir, force, validate, seed, dynamic, export, device, training, max_shard_size):
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
        with console.status(markup(f"converting {source} for {target} ...")):
            result = do_convert(
                source,
                target,
                out_dir,
                force=force,
                dynamic=_dynamic_axes(dynamic),
                export=export,
                device="ascend" if device == "npu" else device,
                training=training,
                max_shard_size=max_shard_size,
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
        from porter.validators.validate import validate as run_validation

        against = None if (out_dir / "source.onnx").exists() else source  # PyTorch sources: PyTorch itself
        with console.status("validating ...") as status:
            report = run_validation(
                out_dir, against, seed=seed, device=device, progress=lambda m: status.update(markup(m))
            )
        return _emit_validation(report, None, None)
    return EXIT_OK


PLUGIN_DOCS = "docs/plugins.md"


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


@main.command()
@click.argument("out_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--against",
    "source",
    default=None,
    help="The source: an .onnx file (run by onnxruntime) or a PyTorch factory pkg.module:factory / "
    "file.py:factory (run by PyTorch). Default for a PyTorch conversion: the factory it came from.",
)
@click.option(
    "--inputs",
    "inputs_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An .npz of inputs (keys: input names or input_0, ...); repeat for more shapes. "
    "Default: random inputs at two sizes of the symbolic dims.",
)
@click.option("--device", default="cpu", show_default=True, help="Target device: cpu, gpu, npu/ascend, or custom.")
@click.option(
    "--profile",
    default=None,
    help="Tolerance profile: cpu, gpu, ascend or a JSON file (default: the device's class; docs/numerics.md).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for the random inputs.")
@report_options
@click.option("--no-layerwise", is_flag=True, help="Skip the search for the first divergent node on failure.")
@bundle_option("pack the model, inputs and reference outputs")
@click.option(
    "--train",
    "training",
    is_flag=True,
    help="Fine-tune check: AdamW steps on PyTorch and on the port (same weights, data, seed; dropout off); "
    "compares the loss per step and each parameter's gradient at step 1.",
)
@click.option("--steps", type=click.IntRange(min=1), default=5, show_default=True, help="With --train: AdamW steps.")
@click.option("--lr", type=float, default=1e-3, show_default=True, help="With --train: the learning rate.")
@PLUGIN_OPTION
def validate(
    out_dir,
    source,
    inputs_files,
    device,
    profile,
    seed,
    html_path,
    json_path,
    no_layerwise,
    bundle_path,
    training,
    steps,
    lr,
):
    """Prove OUT_DIR's model computes what its source computes, on DEVICE (exit 1 on a failed verdict).

    \b
    Three sides, each in its own process: the source (onnxruntime), an fp64
    golden (onnx.reference on the graph recast to float64) and the generated
    model. Each output's verdict comes from the tolerance profile and says why.
    On a failure, the layerwise search names the first node whose kernel
    leaves tolerance when fed the source's own inputs.
    """
    if training:
        return _validate_training(
            out_dir, source, device, seed, steps, lr, json_path, inputs_files, html_path, bundle_path
        )
    from porter.validators.profiles import ProfileError, load_profile

    try:
        load_profile(profile, device)
    except ProfileError as exc:
        raise click.BadParameter(str(exc), param_hint="--profile") from None
    if bundle_path is not None:
        from porter.validators.bundle import write_validate_bundle

        with console.status("computing source and golden outputs for the bundle ..."):
            info = write_validate_bundle(
                out_dir, source, bundle_path, inputs_files=inputs_files, device=device, profile=profile, seed=seed
            )
        out_console.print(plain(f"wrote {bundle_path} ({info}); run it with: python run_bundle.py"), markup=False)
        return EXIT_OK
    from porter.validators.validate import validate as run_validation

    with console.status("validating ...") as status:
        result = run_validation(
            out_dir,
            source,
            inputs_files=inputs_files,
            device=device,
            profile=profile,
            seed=seed,
            layerwise=not no_layerwise,
            progress=lambda msg: status.update(markup(msg)),
        )
    return _emit_validation(result, html_path, json_path)


def _validate_training(out_dir, source, device, seed, steps, lr, json_path, inputs_files, html_path, bundle_path):
    """`porter validate --train` (porter/validators/train.py): same report style and exit codes."""
    for given, flag in ((inputs_files, "--inputs"), (html_path, "--report"), (bundle_path, "--bundle")):
        if given:
            raise click.UsageError(f"{flag} does not apply to --train")
    from porter.validators.terminal import print_training
    from porter.validators.train import validate_training

    with console.status("fine-tuning both sides ...") as status:
        result = validate_training(
            out_dir, source, steps=steps, lr=lr, device=device, seed=seed, progress=lambda m: status.update(markup(m))
        )
    print_training(result, out_console)
    if json_path:
        _write_text(json_path, json.dumps(result, indent=1) + "\n")
    return EXIT_OK if result["passed"] else EXIT_PARITY


def _emit_validation(result: dict, html_path, json_path) -> int:
    from porter.validators.report_html import render_validate
    from porter.validators.terminal import print_validate

    print_validate(result, out_console)
    if json_path:
        _write_text(json_path, json.dumps(result, indent=1) + "\n")
    if html_path:
        _write_text(html_path, render_validate(result))
    return EXIT_OK if result["passed"] else EXIT_PARITY


def _write_text(path: Path, text: str) -> None:
    """Write a report file atomically (a temporary beside it, then rename)."""
    from porter.output import atomic_file

    with atomic_file(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


@main.command()
@click.argument("results", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--bundle",
    "bundle_path",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="The .tar.gz porter made (or its extracted folder). Default: the bundle.json beside RESULTS.",
)
@report_options
def report(results, bundle_path, html_path, json_path):
    """Turn a bundle's results.json (from `python run_bundle.py` on the device's machine) into verdicts.

    The verdicts are recomputed here from the outputs the bundle recorded, with
    the cases, profile and files porter packed into the bundle (a results file
    that disagrees with them is an error naming what differs): the same
    verdicts a direct `porter validate` / `porter kernels` gives. Exit 1 if any
    verdict fails.
    """
    from porter.validators.bundle import judge_results

    result = judge_results(results, bundle_path)
    if result["kind"] == "porter-kernels":
        return _emit_kernels(result, html_path, json_path)
    return _emit_validation(result, html_path, json_path)


@main.command()
@TARGET_OPTION
@click.option("--device", default="cpu", show_default=True, help="Target device: cpu, gpu, npu/ascend, or custom.")
@click.option(
    "--dtype",
    "dtypes",
    default="fp32,fp16,bf16",
    show_default=True,
    help="Float dtypes to sweep (comma-separated: fp32, fp16, bf16). Integer cases always run.",
)
@click.option("--ops", default=None, help="Only these ops (comma-separated ONNX op types). Default: every mapped op.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for the generated cases.")
@click.option("--jobs", type=int, default=2, show_default=True, help="Worker processes.")
@report_options
@bundle_option("pack the sweep")
@RAY_OPTION
@PLUGIN_OPTION
def kernels(target, device, dtypes, ops, seed, jobs, json_path, html_path, bundle_path, ray_address):
    """Sweep every mapped op on DEVICE against the fp64 golden: an op x dtype table of errors and verdicts.

    \b
    Cases: the ONNX node-suite cases per op, the same recast to float16 and
    bfloat16, fresh seeded random values at their shapes, and random
    broadcasting shapes for elementwise ops. Each cell: cases within the
    device's tolerance profile, worst error against the golden (scaled by
    max(1, |golden|)), worst ULP distance. Exit 0 unless porter itself fails:
    the table is the answer.
    """
    from porter.validators.kernels import DTYPE_FLAGS, sweep, write_kernels_bundle

    wanted = [d.strip() for d in dtypes.split(",") if d.strip()]
    unknown = [d for d in wanted if d not in DTYPE_FLAGS]
    if unknown or not wanted:
        raise click.BadParameter(f"choose from {', '.join(DTYPE_FLAGS)} (got {dtypes!r})", param_hint="--dtype")
    op_list = [o.strip() for o in ops.split(",")] if ops else None
    names = [DTYPE_FLAGS[d] for d in wanted]
    if bundle_path is not None:
        with console.status("converting the sweep's cases for the bundle ...") as status:
            info = write_kernels_bundle(
                target, bundle_path, device=device, dtypes=names, ops=op_list, seed=seed,
                progress=lambda n, total: status.update(f"case {n}/{total}"),
            )  # fmt: skip
        out_console.print(plain(f"wrote {bundle_path} ({info}); run it with: python run_bundle.py"), markup=False)
        return EXIT_OK
    with console.status("sweeping kernels ...") as status:
        result = sweep(
            target, device=device, dtypes=names, ops=op_list, seed=seed, jobs=jobs,
            progress=lambda n, total: status.update(f"{n}/{total} cases"), ray_address=ray_address,
        )  # fmt: skip
    return _emit_kernels(result, html_path, json_path)


def _emit_kernels(result: dict, html_path, json_path) -> int:
    from porter.validators.report_html import render_kernels
    from porter.validators.terminal import print_kernels

    print_kernels(result, out_console)
    t = result["totals"]
    out_console.print(
        plain(
            f"{t['ran']} cases ran, {t['within_profile']} within profile {result['profile']['name']}; "
            f"{t['refused']} refused at conversion, {t['crashed']} crashed"
        ),
        markup=False,
        highlight=False,
    )
    if json_path:
        _write_text(json_path, json.dumps(result, indent=1) + "\n")
    if html_path:
        _write_text(html_path, render_kernels(result))
    return EXIT_OK


@main.command()
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="porter.toml, or a pyproject.toml with [tool.porter]. Default: the nearest one from here up.",
)
@click.option("--junit", "junit_path", type=click.Path(path_type=Path), default=None, help="Write JUnit XML here.")
@click.option(
    "--markdown", "markdown_path", type=click.Path(path_type=Path), default=None, help="Write a Markdown summary here."
)
@click.option("-j", "--jobs", type=int, default=2, show_default=True, help="Items run at once (local process pool).")
@click.option(
    "--baseline",
    "baseline_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Baseline of accepted error figures (default: the config's `baseline`).",
)
@click.option("--update-baseline", is_flag=True, help="Record this run's figures of passed items in the baseline.")
@click.option("--no-cache", is_flag=True, help="Run every item, even those whose inputs are unchanged.")
@RAY_OPTION
@PLUGIN_OPTION
def check(config_path, junit_path, markdown_path, jobs, baseline_path, update_baseline, no_cache, ray_address):
    """CI parity gate: convert and validate every configured model x target x device.

    \b
    Exit 0 when every item passes, 1 on a parity failure (or a precision
    regression against the baseline), 2 on a conversion failure, 3 on bad config.
    Unchanged items are reused from the cache (.porter-cache/; --no-cache to rerun).
    """
    from porter.check import load_config, run_check
    from porter.check.reports import headline, junit_xml, markdown
    from porter.check.run import LOCAL

    if jobs < 1:
        raise click.BadParameter("must be at least 1", param_hint="--jobs")
    config = load_config(config_path)
    if update_baseline and baseline_path is None and config.baseline is None:
        raise click.UsageError("--update-baseline needs --baseline FILE or `baseline` in the configuration")
    with _progress() as progress:
        task = progress.add_task(f"porter check ({config.path.name})", total=len(config.items))

        def done(result):
            progress.advance(task)
            progress.console.print(_check_line(result), markup=False, highlight=False)

        run = run_check(
            config,
            jobs=jobs,
            ray_address=LOCAL if ray_address is None else ray_address,
            use_cache=not no_cache,
            baseline=baseline_path,
            update_baseline=update_baseline,
            on_done=done,
        )
    for result in run.results:
        if result["status"] != "passed":
            out_console.print(headline(result), markup=False, highlight=False)
    passed = sum(r["status"] == "passed" for r in run.results)
    out_console.print(
        f"{passed} of {len(run.results)} items passed; reused from the cache: {', '.join(run.reused) or 'none'}",
        markup=False,
        highlight=False,
    )
    if run.baseline_written is not None:
        out_console.print(f"baseline: recorded {run.baseline_written} item(s)", markup=False)
    if junit_path:
        _write_text(junit_path, junit_xml(run.results))
    if markdown_path:
        _write_text(markdown_path, markdown(run.results))
    return run.exit_code


def _check_line(result: dict) -> str:
    from porter.check.reports import VERDICT_WORDS

    reused = " (reused)" if result.get("reused") else f" ({result.get('seconds', 0.0):.1f}s)"
    return f"{VERDICT_WORDS[result['status']]:>17}  {result['id']}{reused}"


def _target_of(out_dir: Path) -> str:
    report = out_dir / "report.json"
    try:
        return json.loads(report.read_text())["target"]
    except (OSError, ValueError, KeyError):
        raise PorterError(f"{out_dir}: no readable report.json (is this a porter output directory?)") from None


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

    report = inspect_model(source, target, dynamic=_dynamic_axes(dynamic) or None)
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
    with _progress() as progress:
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
        _write_text(json_path, json.dumps(summary.to_json(), indent=1) + "\n")
    return EXIT_OK


from porter.weights import weights_command  # noqa: E402  (a command of its own module, added here)

main.add_command(weights_command)


if __name__ == "__main__":
    main()
