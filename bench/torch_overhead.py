"""porter's overhead on the PyTorch path: `porter convert FACTORY` against a bare `torch.onnx.export` of
the same module (built by the same factory, same exporter and opset, written to a file), each in a fresh
Python process, alternating, so that both pay the same imports and model build.

    .venv/bin/python bench/torch_overhead.py [--models llama,bert] [--target paddle] [--repeat 3]

Prints a Markdown table (bench/README.md keeps the last one); the target is overhead <= 20%.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from timing import timed_run  # bench/timing.py (the script's folder is on sys.path)

HERE = Path(__file__).resolve().parent
FACTORIES = HERE / "hf_models.py"

_BARE = """
import importlib.util, sys, warnings
import torch
from porter.frontends.torch_source import DEFAULT_OPSET
spec = importlib.util.spec_from_file_location("hf_models", {factories!r})
mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
module, inputs = getattr(mod, {name!r})()
args, kwargs = ((), inputs) if isinstance(inputs, dict) else (tuple(inputs) if isinstance(inputs, (list, tuple)) else (inputs,), None)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    program = torch.onnx.export(module.eval(), args, kwargs=kwargs, dynamo=True, opset_version=DEFAULT_OPSET, verbose=False)
program.save({out!r})
"""


def measure(name: str, target: str, repeat: int) -> dict:
    bare, porter_runs = [], []
    with tempfile.TemporaryDirectory(prefix="porter-overhead-") as tmp:
        for i in range(repeat):
            out = Path(tmp) / f"bare-{i}.onnx"
            code = _BARE.format(factories=str(FACTORIES), name=name, out=str(out))
            bare.append(timed_run([sys.executable, "-c", code]))
            convert = [sys.executable, "-m", "porter.cli", "convert", f"{FACTORIES}:{name}", "--to", target]
            porter_runs.append(timed_run([*convert, "-o", str(Path(tmp) / f"port-{i}")]))
    b, p = statistics.median(bare), statistics.median(porter_runs)
    return {"model": name, "target": target, "bare_s": round(b, 2), "porter_s": round(p, 2), "ratio": round(p / b, 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="llama,bert")
    parser.add_argument("--target", default="paddle")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("| model | target | bare torch.onnx.export (s) | porter convert (s) | ratio |")
    print("|---|---|---|---|---|")
    for name in args.models.split(","):
        row = measure(name, args.target, args.repeat)
        print(
            f"| {row['model']} | {row['target']} | {row['bare_s']} | {row['porter_s']} | {row['ratio']} |", flush=True
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
