"""One work item (model x target x device): convert, validate, and boil the result down to plain data.

Runs in a worker process (porter.workers, locally or inside a Ray task); the frameworks themselves run
in the validators' own subprocesses, so a worker never imports paddle, mindspore or torch.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
import time
import traceback
from pathlib import Path

from porter.errors import PorterError

# status -> what it means for the exit code: parity (1) or conversion (2)
PASSED, FAILED, CONVERSION_ERROR, ERROR = "passed", "failed", "conversion-error", "error"
# Error figures below this many ulps (at the output's magnitude) are rounding noise to the baseline check.
FLOOR_ULPS = 8


def run_item(payload: dict) -> dict:
    """The item's result: status, reason, first divergent node, per-output error figures, seconds.

    Relative sources, factories and input files resolve from payload["root"] (the config's folder), which
    is the working directory while the item runs (factories import from it); the caller's is restored.
    """
    previous = os.getcwd()
    try:
        if payload.get("root"):
            os.chdir(payload["root"])
        return _run_item(payload)
    finally:
        os.chdir(previous)


def _run_item(payload: dict) -> dict:
    from porter.convert import convert
    from porter.frontends.torch_source import is_torch_spec
    from porter.targets import get_target
    from porter.validators.validate import validate

    start = time.perf_counter()
    base = {k: payload[k] for k in ("id", "model", "target", "device")}
    framework = get_target(payload["target"]).framework
    if importlib.util.find_spec(framework) is None:  # this machine cannot judge the port: not a parity verdict
        reason = f"{framework} is not installed here (pip install 'porter-convert[{payload['target']}]')"
        return {**base, "status": ERROR, "reason": reason, "seconds": 0.0}
    with tempfile.TemporaryDirectory(prefix="porter-check-") as tmp:
        out = Path(tmp) / "out"
        try:
            convert(
                payload["source"],
                payload["target"],
                out,
                dynamic=payload["dynamic"] or None,
                device="ascend" if payload["device"] == "npu" else payload["device"],
            )
        except PorterError as exc:
            return {**base, "status": CONVERSION_ERROR, "reason": str(exc), "seconds": time.perf_counter() - start}
        except Exception as exc:  # a porter bug: reported as a conversion failure, with where it happened
            return {**base, "status": ERROR, "reason": _bug(exc), "seconds": time.perf_counter() - start}
        against = payload["against"]
        if against is None and not is_torch_spec(payload["source"]):
            against = payload["source"]  # an ONNX source: onnxruntime on the same file is the reference
        settings = {k: payload[k] for k in ("device", "profile", "seed")}
        try:
            try:
                report = validate(out, against, inputs_files=payload["inputs"], **settings)
            except PorterError as exc:
                if not str(exc).startswith("layerwise"):
                    raise
                # the verdict stands without the search for its node: judge again, say why no node is named
                report = validate(out, against, inputs_files=payload["inputs"], layerwise=False, **settings)
                report["layerwise"] = {"conclusion": f"no first divergent node: {exc}"}
        except PorterError as exc:  # the reference itself failed: not a verdict on the port
            return {**base, "status": ERROR, "reason": str(exc), "seconds": time.perf_counter() - start}
        except Exception as exc:
            return {**base, "status": ERROR, "reason": _bug(exc), "seconds": time.perf_counter() - start}
    return {**base, **summarize(report), "seconds": time.perf_counter() - start}


def summarize(report: dict) -> dict:
    """What CI needs of a validation report: verdict, first failing reason, divergent node, figures."""
    failing = next(
        (
            (s, o)
            for s in report["sets"]
            for o in (s["outputs"] or [{"name": "-", "passed": False, "reason": s.get("crashed", "")}])
            if not o["passed"]
        ),
        None,
    )
    if failing is None:
        reason = "every output within the profile on every input set"
    else:
        s, o = failing
        reason = f"output {o['name']!r} on {s['label']}: {s.get('crashed') or o.get('reason', '')}"
    layerwise = report.get("layerwise") or {}
    node = layerwise.get("first_kernel_error") or layerwise.get("first_divergence")
    divergent = None
    if node is not None:
        kind = "kernel error" if layerwise.get("first_kernel_error") else "accumulated error"
        divergent = {**node, "kind": kind}
    return {
        "status": PASSED if report["passed"] else FAILED,
        "reason": reason,
        "profile": report["profile"]["name"],
        "first_divergent": divergent,
        "conclusion": layerwise.get("conclusion"),
        "figures": figures(report),
    }


def figures(report: dict) -> dict:
    """Per output, the worst error figures over the input sets, with the slack the profile allows them.

    slack: how many times worse a figure may get than its baseline before it fails (the profile's
    golden_ratio: MARE's for the max error, MERE's for the mean error); floor: the size below which a
    figure is noise (FLOOR_ULPS ulps of the dtype at the output's magnitude), so that a bit-exact baseline
    does not turn every rounding difference into a regression, nor another machine's SIMD width or BLAS
    (a few ulps apart) into a failure.
    """
    from porter.validators.verdict import half_ulp

    rows: dict[str, dict] = {}
    for s in report["sets"]:
        for o in s["outputs"]:
            metrics = o.get("metrics")
            if not metrics or "bounds" not in o:
                continue  # integer outputs (exact) and broken outputs carry no figures
            row = rows.setdefault(o["name"], {"max_abs": 0.0, "mean_abs": 0.0, "dtype": o["dtype"]})
            row["max_abs"] = max(row["max_abs"], float(metrics["max_abs"]))
            row["mean_abs"] = max(row["mean_abs"], float(metrics["mean_abs"]))
            ratio = o["bounds"]["golden_ratio"]
            row["slack"] = {"max_abs": ratio.get("mare", 1.0), "mean_abs": ratio.get("mere", 1.0)}
            floor = FLOOR_ULPS * 2 * half_ulp(o["dtype"]) * max(1.0, float(o.get("source_max_abs", 1.0)))
            row["floor"] = max(row.get("floor", 0.0), floor)
    return rows


def _bug(exc: Exception) -> str:
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" at {Path(frame.filename).name}:{frame.lineno}" if frame else ""
    return f"internal error: {type(exc).__name__}: {exc}{where} (a porter bug)"
