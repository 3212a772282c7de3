"""What `porter validate` costs against running the three models it compares once each: the source in
onnxruntime, the port in its framework, the fp64 golden in onnx.reference, each in a fresh process (as
validate runs them), on the same random input.

    .venv/bin/python bench/validate_cost.py [--model light_resnet50] [--targets paddle,mindspore] [--repeat 2]

The model is one of the onnx wheel's zoo CNNs (backend/test/data/light). Prints a Markdown table
(bench/README.md keeps the last one); the target is validate <= 3x the three runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
from timing import timed_run  # bench/timing.py (the script's folder is on sys.path)

_GOLDEN = """
import numpy as np, onnx
from porter.validators.golden import golden_outputs
with np.load({inputs!r}, allow_pickle=False) as data:
    inputs = [data[f"input_{{i}}"] for i in range(len(data.files))]
outputs, how = golden_outputs(onnx.load({model!r}), inputs)
assert outputs is not None, how
"""


def _inputs(model_path: Path, path: Path) -> None:
    model = onnx.load(model_path, load_external_data=False)
    initializers = {i.name for i in model.graph.initializer}
    rng = np.random.default_rng(0)
    arrays = {}
    for i, vi in enumerate(v for v in model.graph.input if v.name not in initializers):
        shape = [d.dim_value or 1 for d in vi.type.tensor_type.shape.dim]
        arrays[f"input_{i}"] = rng.standard_normal(shape).astype(np.float32)
    np.savez(path, **arrays)


def measure(model_path: Path, target: str, repeat: int) -> dict:
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="porter-validate-cost-") as tmp_name:
        tmp = Path(tmp_name)
        out, inputs = tmp / "out", tmp / "inputs.npz"
        timed_run([py, "-m", "porter.cli", "convert", str(model_path), "--to", target, "-o", str(out)])
        _inputs(model_path, inputs)
        runs: dict[str, list[float]] = {"onnxruntime": [], "port": [], "golden": [], "validate": []}
        for _ in range(repeat):
            runners = [py, "-m", "porter.validators.runners"]
            runs["onnxruntime"].append(
                timed_run([*runners, "onnxruntime", str(model_path), str(inputs), str(tmp / "a.npz")])
            )
            runs["port"].append(timed_run([*runners, "target", target, str(out), str(inputs), str(tmp / "b.npz")]))
            runs["golden"].append(timed_run([py, "-c", _GOLDEN.format(inputs=str(inputs), model=str(model_path))]))
            validate = [py, "-m", "porter.cli", "validate", str(out), "--against", str(model_path)]
            runs["validate"].append(timed_run(validate))
    row = {name: round(statistics.median(times), 2) for name, times in runs.items()}
    three = row["onnxruntime"] + row["port"] + row["golden"]
    return {
        "model": model_path.stem,
        "target": target,
        **row,
        "three": round(three, 2),
        "ratio": round(row["validate"] / three, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="light_resnet50")
    parser.add_argument("--targets", default="paddle,mindspore")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    model_path = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light" / f"{args.model}.onnx"
    print(
        "| model | target | onnxruntime (s) | port (s) | fp64 golden (s) | the three (s) | porter validate (s) | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for target in args.targets.split(","):
        r = measure(model_path, target, args.repeat)
        print(
            f"| {r['model']} | {target} | {r['onnxruntime']} | {r['port']} | {r['golden']} | {r['three']} "
            f"| {r['validate']} | {r['ratio']} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
