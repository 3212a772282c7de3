"""Offline bundles: everything a validation needs, for a machine with the chip and no porter on it.

A bundle (.tar.gz, one folder `porter-bundle/`) holds the generated model(s), the inputs, the source
outputs and the fp64 golden per case, bundle.json (cases, device, tolerance profile), and a runner
`run_bundle.py` that needs only the target framework and numpy. It imports the very modules porter
judges with (metrics, profiles, verdict: numpy only) and the target's own runtime adapter, copied in,
so a verdict on the device is the verdict porter would give; `porter report` recomputes it from the
recorded outputs to prove it.
"""

from __future__ import annotations

import json
import os
import shutil
import tarfile
import tempfile
from pathlib import Path

import numpy as np

from porter.errors import PorterError
from porter.targets import get_target
from porter.validators.profiles import load_profile, profile_from_dict
from porter.validators.verdict import judge

ROOT = "porter-bundle"
_HERE = Path(__file__).parent
_NUMERICS = ("metrics.py", "profiles.py", "verdict.py", "profiles.json")


def _save(path: Path, arrays: list) -> None:
    np.savez(path, *[np.asarray(a) for a in arrays])


def _load(path: Path) -> list[np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        return [data[f"arr_{i}"] for i in range(len(data.files))]


def copy_model(out_dir: Path, dest: Path) -> None:
    """model.py, its weights and report.json (not exports or the source graph: the runner needs none)."""
    report = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))
    dest.mkdir(parents=True)
    for name in ("model.py", "report.json", get_target(report["target"]).weights_file):
        shutil.copy2(out_dir / name, dest / name)


def pack(stage: Path, target: str, meta: dict, bundle_path: Path) -> None:
    """Add the runner and the numerics modules to `stage`, then tar it atomically to bundle_path."""
    if bundle_path.exists():
        raise PorterError(f"{bundle_path} exists; remove it or choose another path")
    numerics = stage / "numerics"
    numerics.mkdir()
    (numerics / "__init__.py").write_text('"""porter numerics, shipped with the bundle."""\n', encoding="utf-8")
    for name in _NUMERICS:
        shutil.copy2(_HERE / name, numerics / name)
    shutil.copy2(get_target(target).load_runtime().__file__, numerics / "runtime.py")
    shutil.copy2(_HERE / "bundle_runner.py", stage / "run_bundle.py")
    (stage / "bundle.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    tmp = bundle_path.with_name(f".{bundle_path.name}.tmp-{os.getpid()}")
    try:
        with tarfile.open(tmp, "w:gz") as tar:
            tar.add(stage, arcname=ROOT)
        os.replace(tmp, bundle_path)
    finally:
        tmp.unlink(missing_ok=True)


def write_validate_bundle(out_dir, against, bundle_path, *, inputs_files=(), device="cpu", profile=None, seed=0) -> str:
    """Bundle OUT's model with its input sets, source outputs and golden; returns a one-line summary."""
    from porter.validators.golden import golden_outputs
    from porter.validators.validate import input_sets, read_report, run_source, source_model

    out_dir, bundle_path = Path(out_dir), Path(bundle_path)
    report = read_report(out_dir)
    model, source_label, torch_spec = source_model(out_dir, against)
    names = [o.name for o in model.graph.output]
    chosen = load_profile(profile, device)
    with tempfile.TemporaryDirectory(prefix="porter-bundle-") as tmp_name:
        tmp, stage = Path(tmp_name), Path(tmp_name) / ROOT
        stage.mkdir()
        copy_model(out_dir, stage / "model")
        import onnx

        onnx.save(model, tmp / "source.onnx")
        cases = []
        example_shapes = (report.get("export") or {}).get("example_shapes")
        for n, case in enumerate(input_sets(model, inputs_files, seed, example_shapes)):
            _save(stage / f"inputs_{n}.npz", case["arrays"])
            np.savez(tmp / "inputs.npz", **{f"input_{i}": a for i, a in enumerate(case["arrays"])})
            run_source(tmp, tmp / "inputs.npz", tmp / "src.npz", torch_spec)
            with np.load(tmp / "src.npz", allow_pickle=False) as src:
                _save(stage / f"expected_{n}.npz", [src[f"output_{i}"] for i in range(len(src.files))])
            golden, how = golden_outputs(model, case["arrays"])
            entry = {
                "id": f"set{n}",
                "label": case["label"],
                "model": "model",
                "inputs": f"inputs_{n}.npz",
                "expected": f"expected_{n}.npz",
                "output_names": names,
                "input_info": [{"shape": list(a.shape), "dtype": a.dtype.name} for a in case["arrays"]],
                "golden_how": how,
            }
            if golden is not None:
                _save(stage / f"golden_{n}.npz", [golden[name] for name in names])
                entry["golden"] = f"golden_{n}.npz"
            cases.append(entry)
        meta = {
            "kind": "porter-validate",
            "target": report["target"],
            "device": device,
            "profile": chosen.to_dict(),
            "source": source_label,
            "out_dir": str(out_dir),
            "cases": cases,
        }
        pack(stage, report["target"], meta, bundle_path)
    return f"{len(cases)} input sets, {report['target']} on {device}, profile {chosen.name}"


def read_results(results_path) -> tuple[dict, dict, Path]:
    """(record, bundle description, folder) of a results.json written by run_bundle.py."""
    results_path = Path(results_path)
    try:
        record = json.loads(results_path.read_text(encoding="utf-8"))
        bundle = record["bundle"]
        profile_from_dict(bundle["profile"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PorterError(f"{results_path}: not a porter bundle results file ({exc})") from None
    return record, bundle, results_path.parent


def case_arrays(base: Path, case: dict, outcome: dict) -> tuple[list, list, list | None]:
    """(outputs the device produced, source outputs, golden outputs or None) for one case."""
    golden = _load(base / case["golden"]) if case.get("golden") else None
    return _load(base / outcome["outputs_file"]), _load(base / case["expected"]), golden


def check_recorded(case: dict, outcome: dict, recomputed: list[bool]) -> None:
    """The device's verdicts must be the ones porter recomputes: else the file was edited or is stale."""
    if [v["passed"] for v in outcome["verdicts"]] != recomputed:
        raise PorterError(f"results: case {case['id']}: recorded verdicts differ from the recomputed ones")


def judge_results(results_path) -> dict:
    """Recompute every verdict of a bundle's results.json from the outputs it recorded."""
    record, bundle, base = read_results(results_path)
    if bundle["kind"] == "porter-kernels":
        from porter.validators.kernels import summarize_bundle

        return summarize_bundle(bundle, record, base)
    profile = profile_from_dict(bundle["profile"])
    judged = []
    for case, outcome in zip(bundle["cases"], record["cases"]):
        if "crashed" in outcome:
            judged.append({"case": case, "crashed": outcome["crashed"], "outputs": []})
            continue
        actual, expected, golden = case_arrays(base, case, outcome)
        outputs = []
        for i, name in enumerate(case["output_names"]):
            verdict = judge(actual[i], expected[i], golden[i] if golden else None, profile) if i < len(actual) else {
                "passed": False, "reason": "the generated model returned no such output"}  # fmt: skip
            outputs.append({"name": name, **verdict})
        check_recorded(case, outcome, [o["passed"] for o in outputs])
        judged.append({"case": case, "outputs": outputs})
    return _validation_result(bundle, record, judged)


def _validation_result(bundle: dict, record: dict, judged: list[dict]) -> dict:
    sets = []
    for j in judged:
        case = j["case"]
        entry = {"label": case["label"], "inputs": case.get("input_info", []), "outputs": j["outputs"]}
        if "crashed" in j:
            entry["crashed"] = j["crashed"]
        entry["passed"] = "crashed" not in j and all(o["passed"] for o in j["outputs"])
        sets.append(entry)
    return {
        "kind": "porter-validate",
        "target": bundle["target"],
        "device": record["device"],
        "profile": bundle["profile"],
        "out_dir": bundle["out_dir"],
        "source": bundle["source"],
        "sets": sets,
        "layerwise": None,
        "golden": next((c.get("golden_how") for c in bundle["cases"]), None),
        "passed": all(s["passed"] for s in sets),
        "from_bundle": True,
    }
