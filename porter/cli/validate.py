"""`porter validate` (a conversion against its source) and `porter report` (a saved result as text or HTML)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from porter.cli.app import main
from porter.cli.kernels import emit_kernels
from porter.cli.shared import (
    PLUGIN_OPTION,
    bundle_option,
    console,
    out_console,
    report_options,
    write_text,
)
from porter.errors import (
    EXIT_OK,
    EXIT_PARITY,
)
from porter.text import markup, plain


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
    return emit_validation(result, html_path, json_path)


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
        write_text(json_path, json.dumps(result, indent=1) + "\n")
    return EXIT_OK if result["passed"] else EXIT_PARITY


def emit_validation(result: dict, html_path, json_path) -> int:
    from porter.validators.report_html import render_validate
    from porter.validators.terminal import print_validate

    print_validate(result, out_console)
    if json_path:
        write_text(json_path, json.dumps(result, indent=1) + "\n")
    if html_path:
        write_text(html_path, render_validate(result))
    return EXIT_OK if result["passed"] else EXIT_PARITY


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
        return emit_kernels(result, html_path, json_path)
    return emit_validation(result, html_path, json_path)
