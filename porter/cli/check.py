"""`porter check`: the CI parity gate over the models a project lists."""

from __future__ import annotations

from pathlib import Path

import click

from porter.cli.app import main
from porter.cli.shared import (
    PLUGIN_OPTION,
    RAY_OPTION,
    out_console,
    progress_bar,
    write_text,
)


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
    with progress_bar() as progress:
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
        write_text(junit_path, junit_xml(run.results))
    if markdown_path:
        write_text(markdown_path, markdown(run.results))
    return run.exit_code


def _check_line(result: dict) -> str:
    from porter.check.reports import VERDICT_WORDS

    reused = " (reused)" if result.get("reused") else f" ({result.get('seconds', 0.0):.1f}s)"
    return f"{VERDICT_WORDS[result['status']]:>17}  {result['id']}{reused}"
