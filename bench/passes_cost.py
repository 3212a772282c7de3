"""What the graph passes (porter/passes/) cost inside a conversion: time against lowering the same model in
the same process, and memory against the model's weights.

Cases: the zoo's densenet121 and vgg19 with real-sized weights saved inline (bench/convert_speed.py's
materialize_zoo; the loader leaves them in the file), a torch Llama export (bench/hf_models.py, --llama-layers
deep) and convert_speed's decoder MLP with --mlp-gib GiB of external data. Each case runs in its own process:
load the model as `porter convert` does, then, best of --repeat, enter and leave `porter.passes.optimized`
(the pipeline alone) and run `lower_model` (lowering, the pipeline included). Memory: the process's RSS while
inside the pipeline and its peak RSS (VmHWM) after it, both above the RSS with the model loaded (the
peak includes loading's own, where that was higher); a pass that copied or read the weights would show here.

Run: python bench/passes_cost.py [--repeat 3] [--target paddle] [--llama-layers 16] [--mlp-gib 0.5]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

_CHILD = """
import json, os, sys, time
from porter.convert import lower_model, to_onnx
from porter.passes import optimized
from porter.targets import get_target

def rss(field="VmRSS"):  # VmHWM: this process's own peak (ru_maxrss would carry the parent's from the fork)
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(field + ":"))

source, target, repeat, dynamic = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
model, info = to_onnx(source, dynamic=dynamic.split(",") if dynamic else None)
registry = get_target(target).registry
loaded = rss()
inside, passes, lowering = 0, [], []
for _ in range(repeat):
    start = time.perf_counter()
    with optimized(model, registry) as counts:
        passes.append(time.perf_counter() - start)
        inside = max(inside, rss())
        after = len(model.graph.node)
peak = rss("VmHWM")
for _ in range(repeat):
    start = time.perf_counter()
    lower_model(model, target, roles=info if "parameters" in info else None)
    lowering.append(time.perf_counter() - start)
print(json.dumps({"nodes": [len(model.graph.node), after], "rewrites": counts, "passes_s": min(passes),
                  "lowering_s": min(lowering), "inside_mb": (inside - loaded) / 2**20,
                  "peak_mb": (peak - loaded) / 2**20}))
"""


def run_case(source: str, target: str, repeat: int, dynamic: str = "", env: dict | None = None) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, source, target, str(repeat), dynamic],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{source}: {proc.stderr.strip()[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    from convert_speed import decoder_mlp, materialize_zoo

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--target", default="paddle")
    parser.add_argument("--llama-layers", type=int, default=16)
    parser.add_argument("--mlp-gib", type=float, default=0.5)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="porter-passes-") as tmp:
        folder = Path(tmp)
        for name in ("densenet121", "vgg19"):
            path = folder / f"{name}.onnx"
            weights = materialize_zoo(name, path)
            rows.append((name, weights, run_case(str(path), args.target, args.repeat)))
        (folder / "mlp").mkdir()
        path, weights = decoder_mlp(folder / "mlp", args.mlp_gib)
        rows.append(("decoder MLP (external data)", weights, run_case(str(path), args.target, args.repeat)))
        layers = {"PORTER_HF_LAYERS": str(args.llama_layers)}
        llama = run_case(f"{HERE / 'hf_models.py'}:llama", args.target, args.repeat, "batch,seq", layers)
        rows.append((f"torch Llama, {args.llama_layers} layers", None, llama))
    print(f"target {args.target}, best of {args.repeat}\n")
    print("| model | weights (MB) | nodes before -> after | rewrites | passes (s) | lowering (s) | passes / lowering "
          "| RSS inside passes (MB) | peak RSS above loaded (MB) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for name, weights, row in rows:
        rewrites = ", ".join(f"{k} {v}" for k, v in sorted(row["rewrites"].items())) or "none"
        size = "-" if weights is None else f"{weights / 2**20:.0f}"
        print(
            f"| {name} | {size} | {row['nodes'][0]} -> {row['nodes'][1]} | {rewrites} | {row['passes_s']:.3f} "
            f"| {row['lowering_s']:.3f} | {row['passes_s'] / row['lowering_s']:.1%} | {row['inside_mb']:.1f} "
            f"| {row['peak_mb']:.1f} |"
        )


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"\n({time.perf_counter() - t0:.0f} s)")
