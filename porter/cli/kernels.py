"""`porter kernels`: the kernel-level tolerance sweep of every mapped op on the target device."""

from __future__ import annotations

import json

import click

from porter.cli.app import main
from porter.cli.shared import (
    PLUGIN_OPTION,
    RAY_OPTION,
    TARGET_OPTION,
    bundle_option,
    console,
    out_console,
    report_options,
    write_text,
)
from porter.errors import (
    EXIT_OK,
)
from porter.text import plain


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
    return emit_kernels(result, html_path, json_path)


def emit_kernels(result: dict, html_path, json_path) -> int:
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
        write_text(json_path, json.dumps(result, indent=1) + "\n")
    if html_path:
        write_text(html_path, render_kernels(result))
    return EXIT_OK
