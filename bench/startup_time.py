"""Start-up cost of a fresh `porter convert` process (issue 16), against the interpreter in the same run.

Rounds alternate these commands, each in a fresh process, and report the median of each:
- `python -c "import numpy, onnx"`: the floor, what any ONNX converter in Python pays before its own code;
- `python -m porter.cli convert --help`: the interpreter and porter's imports on the convert path;
- `python -m porter.cli convert examples/tiny_cnn.onnx --to paddle -o OUT --force`;
- the same for one zoo CNN with real-sized weights (bench/convert_speed.py's materialize_zoo).
The ratio to the floor is what to compare across runs (the machine is shared; the seconds are not).

Run: python bench/startup_time.py [--repeat 7] [--zoo squeezenet] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from convert_speed import materialize_zoo
from timing import compile_porter_bytecode, timed_run

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--zoo", default="squeezenet", help="zoo CNN to convert besides tiny_cnn")
    parser.add_argument("--workdir", type=Path, help="keep the zoo model and outputs here (default: a temp dir)")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="startup_time_"))
    workdir.mkdir(parents=True, exist_ok=True)
    zoo_model = workdir / f"{args.zoo}.onnx"
    if not zoo_model.exists():
        materialize_zoo(args.zoo, zoo_model)
    compile_porter_bytecode()
    porter = [sys.executable, "-m", "porter.cli"]

    def convert(model: Path, out: str) -> list[str]:
        return [*porter, "convert", str(model), "--to", "paddle", "-o", str(workdir / out), "--force"]

    commands = {
        "python -c 'import numpy, onnx'": [sys.executable, "-c", "import numpy, onnx"],
        "porter convert --help": [*porter, "convert", "--help"],
        "porter convert tiny_cnn": convert(ROOT / "examples" / "tiny_cnn.onnx", "tiny_out"),
        f"porter convert {args.zoo}": convert(zoo_model, "zoo_out"),
    }
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
