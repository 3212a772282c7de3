"""Options and helpers every porter command shares: the target and plugin options, report and bundle
outputs, the consoles, the progress bar, --dynamic parsing."""

from __future__ import annotations

import contextlib
from pathlib import Path

import click
from rich.console import Console

from porter.targets import target_names

console = Console(stderr=True, soft_wrap=True)
out_console = Console(soft_wrap=True)

PLUGIN_DOCS = "docs/plugins.md"  # where an unmapped op points

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


def ray_option(help: str):
    """--ray [ADDRESS] as porter.check.ray_backend.run_on_ray takes it: None when not given, "" for a local
    Ray instance (bare --ray), else the cluster's address; `help` says what runs there."""
    return click.option(
        "--ray", "ray_address", is_flag=False, flag_value="", default=None, metavar="[ADDRESS]", help=help
    )


RAY_OPTION = ray_option(
    "Run the work items as Ray tasks that request the device ({'NPU': 1}, a GPU): on a new local Ray "
    "instance, or on the cluster at ADDRESS (e.g. auto, ray://head:10001). Needs porter-convert[ray]."
)


def status(message: str):
    """console.status(message) on a terminal. Elsewhere rich draws no spinner (it is transient, and only a
    terminal shows one), so none is started: rich.live's import and refresh thread cost ~5 ms a command."""
    return console.status(message) if console.is_terminal else contextlib.nullcontext()


def progress_bar():
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


def dynamic_axes(values: tuple[str, ...]) -> list[str]:
    """--dynamic values as porter.convert's list: "batch,seq" splits into names for every input;
    "input:dims" stays one entry (parsed, and checked, by the PyTorch front end)."""
    axes: list[str] = []
    for value in values:
        axes += [value] if ":" in value else [d.strip() for d in value.split(",") if d.strip()]
    return axes


def write_text(path: Path, text: str) -> None:
    """Write a report file atomically (a temporary beside it, then rename)."""
    from porter.output import atomic_file

    with atomic_file(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
