"""What keeping BatchNorm costs an inference port: a ResNet-18-sized transformers ResNetModel (random weights),
exported with BatchNorm kept (porter's default since issue 11) and with the exporter's fold into the conv
(what eval exports did before), each converted and timed in Paddle eager mode, interleaved in one process.

    .venv/bin/python bench/batch_norm_cost.py [--repeat 20] [--batch 1] [--size 224]

Prints the export and conversion seconds of each (the export's is torch.onnx's, on a loaded machine noisy) and the median forward time, with the ratio kept / folded.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

_EXPORT = """
import contextlib, sys, time, warnings
warnings.simplefilter("ignore")
import onnx, torch
from transformers import ResNetConfig, ResNetModel
import porter.frontends.torch_source as torch_source
torch.manual_seed(0)
config = ResNetConfig(embedding_size=64, hidden_sizes=[64, 128, 256, 512], depths=[2, 2, 2, 2], layer_type="basic")
model = ResNetModel(config).eval()
pixels = torch.randn(1, 3, {size}, {size})
if sys.argv[2] == "folded":  # the exporter's optimizer as it runs without porter's guard
    torch_source.source_state_kept = lambda *args, **kwargs: contextlib.nullcontext()
start = time.perf_counter()
proto, _ = torch_source.export_module(model, (pixels,), dynamic=["batch"])
print(time.perf_counter() - start, sum(node.op_type == "BatchNormalization" for node in proto.graph.node))
onnx.save(proto, sys.argv[1])
"""

_TIME = """
import importlib.util, json, statistics, sys, time
import numpy as np, paddle
models = {{}}
for name, path in json.loads(sys.argv[1]).items():
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
    models[name] = mod.load_model()
x = paddle.to_tensor(np.random.default_rng(0).standard_normal(({batch}, 3, {size}, {size})).astype("float32"))
times = {{name: [] for name in models}}
with paddle.no_grad():
    for _ in range(3):
        for model in models.values():
            model(x)
    for _ in range({repeat}):
        for name, model in models.items():
            start = time.perf_counter(); model(x); times[name].append(time.perf_counter() - start)
print(json.dumps({{name: statistics.median(t) for name, t in times.items()}}))
"""


def main() -> int:
    import porter

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--size", type=int, default=224)
    args = parser.parse_args()
    row: dict = {}
    with tempfile.TemporaryDirectory(prefix="porter-bn-") as tmp:
        paths = {}
        for variant in ("kept", "folded"):
            onnx_path = Path(tmp) / f"{variant}.onnx"
            code = _EXPORT.format(size=args.size)
            proc = subprocess.run(
                [sys.executable, "-c", code, str(onnx_path), variant], capture_output=True, text=True, timeout=900
            )
            if proc.returncode != 0:
                raise SystemExit(proc.stderr[-2000:])
            export_s, norms = proc.stdout.split()[-2:]
            row[f"export_s_{variant}"], row[f"batch_norm_nodes_{variant}"] = round(float(export_s), 2), int(norms)
            start = time.perf_counter()
            porter.convert(str(onnx_path), "paddle", Path(tmp) / variant)
            row[f"convert_s_{variant}"] = round(time.perf_counter() - start, 2)
            paths[variant] = str(Path(tmp) / variant / "model.py")
        code = _TIME.format(batch=args.batch, size=args.size, repeat=args.repeat)
        proc = subprocess.run([sys.executable, "-c", code, json.dumps(paths)], capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(proc.stderr[-2000:])
        times = json.loads(proc.stdout.strip().splitlines()[-1])
    row.update({f"forward_ms_{k}": round(v * 1000, 2) for k, v in times.items()})
    row["ratio_kept_over_folded"] = round(times["kept"] / times["folded"], 3)
    print(json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
