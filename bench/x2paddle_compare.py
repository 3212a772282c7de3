"""ONNX conversion time, porter against X2Paddle 1.6, side by side on the nine zoo CNNs (issue 16).

Each model is the onnx wheel's zoo CNN with real-sized random initializers (bench/convert_speed.py's
materialize_zoo). For every model, --repeat rounds alternate the two converters, each in a fresh process:

- porter: `python -m porter.cli convert MODEL --to paddle -o OUT` (with --porter-export, also
  `--export inference`, which is what X2Paddle always writes besides its code);
- X2Paddle: its CLI, `x2paddle --framework=onnx --model=MODEL --save_dir=OUT --disable_feedback True`
  (feedback off: it would post to Baidu's server from a thread, and this machine has no network),
  run with PYTHONPATH=--x2paddle-path so X2Paddle and the onnx it needs are never in porter's process.

X2Paddle 1.6 does not run on onnx >= 1.17 (the `onnx.mapping` module it imports was removed, and on
onnx 1.23 `onnx.version` is no longer imported by `import onnx`, which its own check turns into "onnx is
not installed"). The script first runs X2Paddle once against the venv's onnx and prints that error, then
times it with an older onnx found first on --x2paddle-path (bench/requirements-bench.txt says how).

porter's bytecode is written once before timing (bench/timing.py compile_porter_bytecode), as pip wrote
X2Paddle's at install: this machine sets PYTHONDONTWRITEBYTECODE, under which an editable checkout would
recompile porter's modules in every process.

Reported per model: median of the rounds for each side (the old output is removed outside the timing),
the ratio X2Paddle / porter (> 1: porter faster), and the geometric mean of the ratios.

Run: python bench/x2paddle_compare.py [--repeat 5] [--models resnet50,vgg19] [--x2paddle-path P1:P2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from convert_speed import materialize_zoo
from timing import compile_porter_bytecode, timed_run

from porter.zoo import ZOO_MODELS

DEFAULT_X2PADDLE_PATH = "/tmp/benchdeps-onnx:/tmp/benchdeps"
STOCK_X2PADDLE_PATH = "/tmp/benchdeps"
# The console script's body: running it through -c keeps the venv's interpreter without its shebang.
_X2PADDLE_CLI = "import sys; from x2paddle.convert import main; sys.argv[0] = 'x2paddle'; main()"


def x2paddle_command(model: Path, out: Path, pythonpath: str) -> list[str]:
    # `env` sets PYTHONPATH for this child only; timing.timed_run takes a plain command.
    return [
        "env",
        f"PYTHONPATH={pythonpath}",
        sys.executable,
        "-c",
        _X2PADDLE_CLI,
        "--framework=onnx",
        f"--model={model}",
        f"--save_dir={out}",
        "--disable_feedback",
        "True",
    ]


def porter_command(model: Path, out: Path, export: bool) -> list[str]:
    command = [sys.executable, "-m", "porter.cli", "convert", str(model), "--to", "paddle", "-o", str(out)]
    return command + (["--export", "inference"] if export else [])


def x2paddle_failure(model: Path, out: Path, pythonpath: str) -> str | None:
    """None when X2Paddle converts `model` with this path; otherwise the last lines of what it printed.
    X2Paddle logs some failures and exits 0, so success is judged by the files it must write."""
    proc = subprocess.run(x2paddle_command(model, out, pythonpath), capture_output=True, text=True)
    if proc.returncode == 0 and (out / "x2paddle_code.py").is_file() and (out / "model.pdparams").is_file():
        return None
    lines = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip() and "Warning" not in ln]
    return "\n".join(lines[-3:])


def _fresh(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--models", default=",".join(sorted(ZOO_MODELS)))
    parser.add_argument("--x2paddle-path", default=DEFAULT_X2PADDLE_PATH, help="PYTHONPATH for X2Paddle only")
    parser.add_argument("--porter-export", action="store_true", help="porter also writes --export inference")
    parser.add_argument("--workdir", type=Path, help="keep the models and outputs here (default: a temp dir)")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="x2paddle_compare_"))
    workdir.mkdir(parents=True, exist_ok=True)
    names = args.models.split(",")
    models = {}
    for name in names:
        models[name] = workdir / f"{name}.onnx"
        if not models[name].exists():
            materialize_zoo(name, models[name])

    compile_porter_bytecode()
    stock = x2paddle_failure(models[names[0]], _fresh(workdir / "x2paddle_stock"), STOCK_X2PADDLE_PATH)
    print(f"X2Paddle with the venv's onnx on {names[0]}: " + ("converts" if stock is None else f"fails:\n{stock}"))

    rows, ratios = [], []
    for name, model in models.items():
        porter_out, x2_out = workdir / f"{name}_porter", workdir / f"{name}_x2paddle"
        failure = x2paddle_failure(model, _fresh(x2_out), args.x2paddle_path)
        porter_times, x2_times = [], []
        for _ in range(args.repeat):
            porter_times.append(timed_run(porter_command(model, _fresh(porter_out), args.porter_export)))
            if failure is None:
                x2_times.append(timed_run(x2paddle_command(model, _fresh(x2_out), args.x2paddle_path)))
        porter_s = statistics.median(porter_times)
        if failure is None:
            x2_s = statistics.median(x2_times)
            ratios.append(x2_s / porter_s)
            rows.append(f"| {name} | {porter_s:.2f} | {x2_s:.2f} | {x2_s / porter_s:.2f} |")
        else:
            rows.append(f"| {name} | {porter_s:.2f} | fails: {failure.splitlines()[-1][:120]} | - |")
        print(rows[-1], flush=True)
    print(f"\nmedian of {args.repeat}, alternating, fresh process each; load average {os.getloadavg()[0]:.1f}")
    print("| model | porter convert (s) | X2Paddle (s) | X2Paddle / porter |")
    print("|---|---|---|---|")
    print("\n".join(rows))
    if ratios:
        geomean = statistics.geometric_mean(ratios)
        print(f"\ngeomean X2Paddle / porter over {len(ratios)} models: {geomean:.2f}")


if __name__ == "__main__":
    main()
