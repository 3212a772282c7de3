"""Convert the public transformer architectures in bench/hf_models.py (or another factories file's MODELS)
to both targets and validate each against PyTorch itself at two input shapes from one conversion.

    .venv/bin/python bench/transformers_table.py [--targets paddle,mindspore] [--models bert,gpt2] [--json out.json]
    .venv/bin/python bench/transformers_table.py --factories bench/speech_vision_models.py   # issue 15's table

Pass criterion (issue 5): every output within max abs error <= 1e-4 * max(1, |reference|) at both shapes,
besides porter's own profile verdict. Prints a Markdown table (bench/README.md keeps the last one).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import porter  # noqa: E402
from porter.errors import PorterError  # noqa: E402
from porter.validators.validate import validate  # noqa: E402

sys.path.insert(0, str(HERE))

BOUND = 1e-4


def load_models(factories: Path) -> dict[str, list[str]]:
    """The file's MODELS table (name -> dims kept symbolic), imported as porter imports a factory spec."""
    spec = importlib.util.spec_from_file_location(f"bench_{factories.stem}", factories)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.MODELS


def run_one(name: str, dims: list[str], target: str, tmp: Path, factories: Path = HERE / "hf_models.py") -> dict:
    spec = f"{factories}:{name}"
    row = {"model": name, "target": target}
    start = time.perf_counter()
    try:
        result = porter.convert(spec, target, tmp / f"{name}-{target}", dynamic=dims)
    except PorterError as exc:
        return {**row, "status": "refused", "why": str(exc)[:300]}
    row["convert_s"] = round(time.perf_counter() - start, 1)
    row["nodes"] = len(result.ops)
    start = time.perf_counter()
    try:
        report = validate(tmp / f"{name}-{target}")
    except PorterError as exc:
        return {**row, "status": "error", "why": str(exc)[:300]}
    row["validate_s"] = round(time.perf_counter() - start, 1)
    worst, shapes = 0.0, []
    for s in report["sets"]:
        shapes.append("x".join(str(d) for d in s["inputs"][0]["shape"]))
        if s.get("crashed"):
            return {**row, "status": "crashed", "why": s["crashed"], "shapes": shapes}
        for o in s["outputs"]:
            scale = max(1.0, o.get("source_max_abs", 0.0))
            worst = max(worst, o["metrics"]["max_abs"] / scale)
    row.update(shapes=shapes, worst_scaled=worst, profile_pass=report["passed"])
    row["status"] = "pass" if worst <= BOUND and report["passed"] else "FAIL"
    written = json.loads((tmp / f"{name}-{target}" / "report.json").read_text())
    row["eager_only"] = bool(written["eager_only"])
    row["exporter"] = (written.get("export") or {}).get("exporter")
    return row


def markdown(rows: list[dict]) -> str:
    lines = [
        "| model | target | status | nodes | shapes validated | worst error / max(1, abs(ref)) | convert s | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        err = f"{r['worst_scaled']:.1e}" if "worst_scaled" in r else "-"
        notes = [r.get("why", "")[:120], "PyNative only (run-time shapes)" if r.get("eager_only") else ""]
        notes.append("TorchScript exporter (dynamo failed)" if r.get("exporter") == "torchscript" else "")
        note = "; ".join(n for n in notes if n)
        lines.append(
            f"| {r['model']} | {r['target']} | {r['status']} | {r.get('nodes', '-')} | {', '.join(r.get('shapes', []))} "
            f"| {err} | {r.get('convert_s', '-')} | {note} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factories", type=Path, default=HERE / "hf_models.py", help="a file with MODELS")
    parser.add_argument("--targets", default="paddle,mindspore")
    parser.add_argument("--models", default=None, help="comma-separated names (default: all of MODELS)")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    factories = args.factories.resolve()
    models = load_models(factories)
    rows = []
    with tempfile.TemporaryDirectory(prefix="porter-hf-") as tmp:
        for name in args.models.split(",") if args.models else models:
            for target in args.targets.split(","):
                rows.append(run_one(name, models[name], target, Path(tmp), factories))
                print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")
    print(markdown(rows))
    return 0 if all(r["status"] == "pass" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
