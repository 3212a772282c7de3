"""Layerwise first divergence: which node's kernel leaves tolerance, as distinct from error that accumulates.

Three runs over the same inputs, every intermediate exposed:
  source   onnxruntime with every mapped ONNX value added as a graph output
  free     the generated model (an instrumented copy, see taps.py) run as it is: accumulated error
  forced   the same copy, each tapped value replaced by the source's own before the next statement,
           so each node computes from the reference's inputs: that node's kernel error alone
plus the fp64 golden's intermediates (onnx.reference). Each value gets two verdicts from the profile;
the first node whose *forced* verdict fails is the kernel that is wrong.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx

from porter.errors import PorterError
from porter.validators.golden import golden_outputs
from porter.validators.profiles import Profile
from porter.validators.verdict import judge


def expose_values(model: onnx.ModelProto, names: list[str]) -> onnx.ModelProto:
    """A copy of model whose graph outputs are `names` (typed from value_info where known)."""
    exposed = onnx.ModelProto.FromString(model.SerializeToString())
    known = {vi.name: vi for vi in list(exposed.graph.value_info) + list(exposed.graph.output)}
    del exposed.graph.output[:]
    for name in names:
        vi = known.get(name)
        exposed.graph.output.append(vi if vi is not None else onnx.helper.ValueInfoProto(name=name))
    return exposed


def _scale(reference: np.ndarray) -> float:
    finite = reference[np.isfinite(reference)] if reference.dtype.kind == "f" else reference
    return max(1.0, float(np.max(np.abs(finite)))) if finite.size else 1.0


def _row_side(verdict: dict, reference: np.ndarray) -> dict:
    metrics = verdict["metrics"]
    max_abs = metrics["max_abs"]
    return {
        "passed": verdict["passed"],
        "reason": verdict["reason"],
        "max_abs": max_abs,
        # error relative to the value's magnitude: comparable along the depth of the graph
        "scaled_error": max_abs / _scale(reference.astype(np.float64)) if np.isfinite(max_abs) else float("inf"),
    }


def locate(
    out_dir: Path,
    model: onnx.ModelProto,
    report: dict,
    inputs: list[np.ndarray],
    profile: Profile,
    run_side,
    tmp: Path,
    device: str = "cpu",
    progress=None,
) -> dict:
    """Run the three sides and judge every tapped value; `run_side(args, what)` runs one runner process."""
    produced = {o for node in model.graph.node for o in node.output}
    values = [m for m in report.get("values", []) if m["value"] in produced]
    if not values:
        raise PorterError(f"{out_dir}/report.json maps no intermediate values (converted by an older porter?)")
    names = [m["value"] for m in values]
    inputs_path = tmp / "layer_inputs.npz"
    np.savez(inputs_path, **{f"input_{i}": a for i, a in enumerate(inputs)})

    say = progress or (lambda _msg: None)
    say(f"layerwise: onnxruntime with {len(names)} intermediates exposed")
    exposed_path = tmp / "exposed.onnx"
    onnx.save(expose_values(model, names), exposed_path)
    problem = run_side(["onnxruntime", str(exposed_path), str(inputs_path), str(tmp / "src_taps.npz")], "onnxruntime")
    if problem:
        raise PorterError(f"layerwise: {problem}")
    with np.load(tmp / "src_taps.npz", allow_pickle=False) as data:
        source = {name: data[f"output_{i}"] for i, name in enumerate(names)}
    all_keys = {m["value"]: f"tap_{i}" for i, m in enumerate(report["values"])}
    np.savez(tmp / "feed.npz", **{all_keys[n]: source[n] for n in names})

    say("layerwise: fp64 golden intermediates")
    golden, golden_how = golden_outputs(model, inputs, intermediate=True)
    golden = golden or {}
    taps = {}
    for mode, extra in (("free", []), ("forced", [str(tmp / "feed.npz")])):
        say(f"layerwise: generated model, {mode} run")
        path = tmp / f"{mode}_taps.npz"
        problem = run_side(
            ["taps", report["target"], str(out_dir), str(inputs_path), str(path), device, *extra],
            f"the instrumented {report['target']} model ({mode})",
        )
        if problem:
            raise PorterError(f"layerwise: {problem}")
        with np.load(path, allow_pickle=False) as data:
            taps[mode] = {k: data[k] for k in data.files}

    rows = []
    for depth, m in enumerate(values):
        key, ref = all_keys[m["value"]], source[m["value"]]
        row = {k: m[k] for k in ("index", "node", "op_type", "value", "var")}
        row["depth"] = depth
        for mode in ("free", "forced"):
            if key not in taps[mode]:
                row[mode] = {"passed": False, "reason": "not reached (the run stopped before it)", "max_abs": None}
                continue
            verdict = judge(taps[mode][key], ref, golden.get(m["value"]), profile)
            row[mode] = _row_side(verdict, np.asarray(ref))
        rows.append(row)
    return {"golden": golden_how, "rows": rows, **_conclude(rows)}


def _conclude(rows: list[dict]) -> dict:
    kernel = next((r for r in rows if not r["forced"]["passed"]), None)
    drift = next((r for r in rows if not r["free"]["passed"]), None)
    if kernel is not None:
        where = f"{kernel['node'] or kernel['value']} ({kernel['op_type']}, variable {kernel['var']})"
        text = f"kernel error: {where} leaves tolerance even when fed the source's own inputs: {kernel['forced']['reason']}"
    elif drift is not None:
        text = (
            f"accumulated error: every kernel is within tolerance on the source's inputs, but the error grows "
            f"until {drift['node'] or drift['value']} ({drift['op_type']}) leaves tolerance"
        )
    else:
        text = "every intermediate is within tolerance, alone and accumulated"
    return {
        "first_kernel_error": None if kernel is None else {k: kernel[k] for k in ("node", "op_type", "value", "var")},
        "first_divergence": None if drift is None else {k: drift[k] for k in ("node", "op_type", "value", "var")},
        "conclusion": text,
    }
