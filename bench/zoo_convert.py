"""Conversion time for the nine model-zoo CNNs in the onnx wheel, against a reference in the same run.

The reference is building an onnxruntime InferenceSession for the same file (parse, check, optimize),
so the ratio says how conversion compares with what a runtime does to load a model, independent of
how busy the machine is. Run: python bench/zoo_convert.py [--target paddle] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import onnxruntime as ort

import porter
from porter.zoo import ZOO_MODELS, model_path


def _best(fn, repeat: int, *args, **kwargs) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(*args, **kwargs)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="paddle")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("| model | nodes | porter convert (s) | onnxruntime session (s) | ratio |")
    print("|---|---|---|---|---|")
    ratios = []
    for name in sorted(ZOO_MODELS):
        path = model_path(name)
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "out"
            convert_s = _best(porter.convert, args.repeat, path, args.target, out, force=True)
            nodes = len(porter.convert(path, args.target, out, force=True).ops)
        session_s = _best(ort.InferenceSession, args.repeat, str(path), providers=["CPUExecutionProvider"])
        ratios.append(convert_s / session_s)
        print(f"| {name} | {nodes} | {convert_s:.3f} | {session_s:.3f} | {convert_s / session_s:.2f} |")
    print(f"\nmedian ratio porter/onnxruntime: {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
