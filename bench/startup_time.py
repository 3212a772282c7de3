"""Start-up cost of a fresh `porter convert` process (issue 16), against the interpreter in the same run.

Rounds alternate these commands, each in a fresh process, and report the median of each:
- `python -c "import numpy, onnx"`: the floor, what any ONNX converter in Python pays before its own code;
- `python -m porter.cli convert --help`: the interpreter and porter's imports on the convert path;
- `python -m porter.cli convert examples/tiny_cnn.onnx --to paddle -o OUT --force`;
- the same for zoo CNNs with real-sized weights (bench/convert_speed.py's materialize_zoo).
The ratio to the floor is what to compare across runs (the machine is shared; the seconds are not).
With --baseline PYTHON (the interpreter of another checkout, e.g. a venv of the commit before a change), each
porter command also runs with it in the same rounds: a before/after under the same load.

Run: python bench/startup_time.py [--repeat 7] [--zoo squeezenet[,densenet121]] [--workdir DIR]
                                  [--baseline OTHER/.venv/bin/python]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from convert_speed import materialize_zoo
from timing import compile_porter_bytecode, timed_run

ROOT = Path(__file__).resolve().parent.parent


def _convert(python: str, model: Path, out: Path) -> list[str]:
    return [python, "-m", "porter.cli", "convert", str(model), "--to", "paddle", "-o", str(out / model.stem), "--force"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--zoo", default="squeezenet", help="zoo CNNs to convert besides tiny_cnn (comma-separated)")
    parser.add_argument("--workdir", type=Path, help="keep the zoo models and outputs here (default: a temp dir)")
    parser.add_argument("--baseline", help="another checkout's python: its porter runs the same commands alongside")
    args = parser.parse_args()
    workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="startup_time_"))).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    zoo = args.zoo.split(",")
    for name in zoo:
        if not (workdir / f"{name}.onnx").exists():
            materialize_zoo(name, workdir / f"{name}.onnx")
    compile_porter_bytecode()
    sides = {"": sys.executable}
    if args.baseline:
        # its own bytecode too, written by this file's helper with the baseline's porter on the path
        code = "import sys; sys.path.insert(0, 'bench'); from timing import compile_porter_bytecode as c; c()"
        subprocess.run([args.baseline, "-c", code], cwd=ROOT, check=True)
        sides[" (baseline)"] = args.baseline

    commands = {"python -c 'import numpy, onnx'": [sys.executable, "-c", "import numpy, onnx"]}
    for suffix, python in sides.items():
        out = workdir / ("baseline" if suffix else "out")
        commands[f"porter convert --help{suffix}"] = [python, "-m", "porter.cli", "convert", "--help"]
        commands[f"porter convert tiny_cnn{suffix}"] = _convert(python, ROOT / "examples" / "tiny_cnn.onnx", out)
        for name in zoo:
            commands[f"porter convert {name}{suffix}"] = _convert(python, workdir / f"{name}.onnx", out)
    # outside the checkout: `python -m` puts the working directory first on sys.path, where this checkout's
    # porter would shadow the baseline's
    os.chdir(workdir)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.repeat):
        for name, command in commands.items():
            times[name].append(timed_run(command))
    floor = statistics.median(times["python -c 'import numpy, onnx'"])
    print(f"median of {args.repeat}, alternating, fresh process each; load average {os.getloadavg()[0]:.1f}")
    print("| command | median (s) | / floor |")
    print("|---|---|---|")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.3f} | {median / floor:.2f} |")


if __name__ == "__main__":
    main()
