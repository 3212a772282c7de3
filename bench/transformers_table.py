"""Convert the public transformer architectures in bench/hf_models.py to both targets and validate each
against PyTorch itself at two input shapes from one conversion.

    .venv/bin/python bench/transformers_table.py [--targets paddle,mindspore] [--models bert,gpt2] [--json out.json]

Pass criterion (issue 5): every output within max abs error <= 1e-4 * max(1, |reference|) at both shapes,
besides porter's own profile verdict. Prints a Markdown table (bench/README.md keeps the last one).
"""

from __future__ import annotations

import argparse
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
from hf_models import MODELS  # noqa: E402

BOUND = 1e-4


def run_one(name: str, dims: list[str], target: str, tmp: Path) -> dict:
    spec = f"{HERE / 'hf_models.py'}:{name}"
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
    row["eager_only"] = bool(json.loads((tmp / f"{name}-{target}" / "report.json").read_text())["eager_only"])
    return row


def markdown(rows: list[dict]) -> str:
    lines = [
        "| model | target | status | nodes | shapes validated | worst error / max(1, abs(ref)) | convert s | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        err = f"{r['worst_scaled']:.1e}" if "worst_scaled" in r else "-"
        note = r.get("why", "")[:120] or ("PyNative only (run-time shapes)" if r.get("eager_only") else "")
        lines.append(
            f"| {r['model']} | {r['target']} | {r['status']} | {r.get('nodes', '-')} | {', '.join(r.get('shapes', []))} "
            f"| {err} | {r.get('convert_s', '-')} | {note} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", default="paddle,mindspore")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="porter-hf-") as tmp:
        for name in args.models.split(","):
            for target in args.targets.split(","):
                rows.append(run_one(name, MODELS[name], target, Path(tmp)))
                print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")
    print(markdown(rows))
    return 0 if all(r["status"] == "pass" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
