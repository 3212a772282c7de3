"""`porter weights` on a sharded safetensors checkpoint: memory against the largest shard, time against the disk.

A Llama-shaped causal LM (transformers' LlamaForCausalLM, returning logits) of about 1.2 GB in fp32 is
converted once by `porter convert` (random weights). A second checkpoint of the same architecture (other
weights, as a fine-tune would have) is written the way Hugging Face ships one: safetensors shards (the
`safetensors` package, from numpy) and model.safetensors.index.json, with PyTorch's logits on a small
input beside it. Then, per target:

- `porter weights SHARDS --map OUT/report.json -o TUNED/model.npz --max-shard-size S -j 1` (and -j 2, and with
  --ray: `--ray ADDRESS` of a local Ray instance with 2 CPUs that this script starts before the clock, as
  bench/check_speedup.py does) in a fresh interpreter: wall time (best of --repeat) against reading the
  shards' bytes and writing them to one file (same run, best of --repeat), also less the same command's
  time on a tiny model (start-up), and peak RSS (the child's ru_maxrss: with -j 2, the largest single
  process; with --ray, the driver's alone, the writers being Ray's processes) above the baseline (the
  same command on examples/tiny_cnn.onnx's conversion) against the largest shard's bytes;
- the -j 2 and --ray outputs compared with -j 1's byte for byte (each .npz member, each .ckpt file, the index);
- the sharded output loaded by the generated load_model() (it follows the index) and its logits compared
  with PyTorch's on the same checkpoint.

Run: python bench/sharded_weights.py [--targets paddle,mindspore] [--repeat 2] [--folder DIR] [--ray]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

# The architecture: Llama-7B's proportions scaled down (head dim 128, grouped-query attention 3:1,
# MLP 8/3 of the width, a 32000-token vocabulary, untied head), 8 layers: 300 M parameters, 1.2 GB fp32.
CONFIG = dict(vocab_size=32000, hidden_size=1536, intermediate_size=4096, num_attention_heads=12,
              num_key_value_heads=4, max_position_embeddings=256, tie_word_embeddings=False, use_cache=False)  # fmt: skip
LAYERS = int(os.environ.get("PORTER_SHARD_LAYERS", "8"))
BATCH, SEQ = 2, 8


def llama_logits():
    """The factory `porter convert` exports: (module, example inputs)."""
    import torch

    return _model(seed=0), (torch.randint(0, CONFIG["vocab_size"], (BATCH, SEQ), generator=torch.Generator().manual_seed(0)),)  # fmt: skip


def _model(seed: int):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    class LlamaLogits(LlamaForCausalLM):
        """LlamaForCausalLM returning the logits tensor (its state_dict keys are the Hub checkpoints')."""

        def forward(self, input_ids):
            return super().forward(input_ids=input_ids, use_cache=False).logits

    torch.manual_seed(seed)
    model = LlamaLogits(LlamaConfig(num_hidden_layers=LAYERS, **CONFIG))
    generator = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():  # as training leaves them: fresh norms are all ones, which the exporter would merge
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=generator) * 0.02)
    return model.eval()


# Runs in a torch process: the "fine-tuned" checkpoint as safetensors shards + index, and its logits.
_MAKE_CHECKPOINT = """
import json, sys
from pathlib import Path
import numpy as np, torch
from safetensors.numpy import save_file
sys.path.insert(0, sys.argv[1])
import sharded_weights as bench
folder, shard_bytes = Path(sys.argv[2]), int(sys.argv[3])
model = bench._model(seed=7)
state = {k: v.detach().numpy() for k, v in model.state_dict().items()}
groups, size = [], shard_bytes
for key, array in state.items():  # as save_pretrained cuts them: in order, at most shard_bytes each
    if groups and size + array.nbytes <= shard_bytes:
        groups[-1].append(key); size += array.nbytes
    else:
        groups.append([key]); size = array.nbytes
weight_map = {}
for i, keys in enumerate(groups):
    name = f"model-{i + 1:05d}-of-{len(groups):05d}.safetensors"
    save_file({k: np.ascontiguousarray(state[k]) for k in keys}, str(folder / name), metadata={"format": "pt"})
    weight_map.update(dict.fromkeys(keys, name))
total = sum(a.nbytes for a in state.values())
(folder / "model.safetensors.index.json").write_text(json.dumps({"metadata": {"total_size": total}, "weight_map": weight_map}))
_, (ids,) = bench.llama_logits()
with torch.no_grad():
    np.savez(folder.parent / "expected.npz", ids=ids.numpy(), logits=model(ids).numpy())
"""

_RUN_PORT = """
import sys
import numpy as np
target, out, data, y_path = sys.argv[1:]
ids = np.load(data)["ids"]
if target == "mindspore":
    import mindspore
    import porter
    y = porter.load(out)(mindspore.Tensor(ids)).asnumpy()
else:
    import paddle
    import porter
    y = porter.load(out)(paddle.to_tensor(ids)).numpy()
np.save(y_path, y)
"""

WEIGHTS_FILE = {"paddle": "model.npz", "mindspore": "model.ckpt"}


def _contents(folder: Path) -> dict[str, bytes]:
    """Every weights file of a folder, an .npz as its members (zip timestamps differ between runs)."""
    out = {}
    for path in sorted(folder.iterdir()):
        if path.suffix == ".npz":
            with zipfile.ZipFile(path) as archive:
                out.update({f"{path.name}/{m}": archive.read(m) for m in archive.namelist()})
        elif path.suffix in (".ckpt", ".json"):
            out[path.name] = path.read_bytes()
    return out


def baseline(folder: Path, target: str) -> tuple[int, float]:
    """(peak RSS, wall seconds) of the same `porter weights` command on a tiny model: the interpreter
    starting, porter's imports and reading the conversion's report."""
    from safetensors.numpy import save_file

    import porter
    from porter.weights import conversion_weights

    out = folder / f"tiny-{target}"
    if not out.exists():
        porter.convert(str(ROOT / "examples" / "tiny_cnn.onnx"), target, out)
    rows = json.loads((out / "report.json").read_text())["parameters"]
    weights = conversion_weights(out, target)
    state = {r["source"]: np.ascontiguousarray(weights[r["target"]].T if r["transform"] else weights[r["target"]]) for r in rows}  # fmt: skip
    save_file(state, str(folder / f"tiny-{target}.safetensors"))
    args = ["weights", str(folder / f"tiny-{target}.safetensors"), "--map", str(out / "report.json")]
    return _speed().cli_run([*args, "-o", str(folder / f"tiny-{target}-w" / WEIGHTS_FILE[target]), "--force"])


def _speed():
    """bench/convert_speed.py (its RSS wrapper and disk reference), imported only where it is used: the
    export process that imports this file for its factory needs neither it nor porter."""
    if str(ROOT / "bench") not in sys.path:
        sys.path.insert(0, str(ROOT / "bench"))  # bench/ is not a package
    import convert_speed

    return convert_speed


def main() -> None:
    speed = _speed()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", default="paddle,mindspore")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--shard-mb", type=int, default=250, help="Input and output shard size (MB).")
    parser.add_argument("--folder", type=Path, default=None, help="Work here (kept) instead of a temporary folder.")
    parser.add_argument("--ray", action="store_true", help="Also time --ray, on a local Ray instance with 2 CPUs.")
    args = parser.parse_args()
    modes = {"1": ["-j", "1"], "2": ["-j", "2"]}
    if args.ray:  # started before any clock; each command attaches to it by its address, as to a cluster
        import ray

        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        modes["ray"] = ["--ray", ray.get_runtime_context().gcs_address]
    folder = args.folder or Path(tempfile.mkdtemp(prefix="porter-shards-"))
    folder.mkdir(parents=True, exist_ok=True)
    shards = folder / "checkpoint"
    if not (shards / "model.safetensors.index.json").exists():
        shards.mkdir(exist_ok=True)
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", _MAKE_CHECKPOINT, str(ROOT / "bench"), str(shards), str(args.shard_mb * 10**6)],
            check=True,
        )
        print(f"wrote the checkpoint in {time.perf_counter() - start:.1f}s")
    files = sorted(shards.glob("*.safetensors"))
    total, largest = sum(f.stat().st_size for f in files), max(f.stat().st_size for f in files)
    print(f"{platform.node()}, {os.cpu_count()} cores; {LAYERS} layers, {len(files)} shards, {total / 1e9:.2f} GB, "
          f"largest shard {largest / 1e6:.0f} MB")  # fmt: skip
    disk = speed._best(lambda: speed.copy_bytes(files, folder / "copy.bin"), args.repeat, folder / "copy.bin")
    (folder / "copy.bin").unlink()
    print(f"read+write the shards' bytes: {disk:.2f}s")
    rows = []
    for target in args.targets.split(","):
        out = folder / f"out-{target}"
        if not (out / "report.json").exists():
            rss, seconds = speed.cli_run(["convert", f"{ROOT / 'bench' / 'sharded_weights.py'}:llama_logits", "--to", target, "-o", str(out), "--force"])  # fmt: skip
            print(f"{target}: porter convert {seconds:.1f}s, peak RSS {rss / 2**30:.2f} GiB")
        base, start_up = baseline(folder, target)
        results = {}
        for mode, options in modes.items():
            tuned = folder / f"tuned-{target}-{'j' if mode.isdigit() else ''}{mode}"
            command = ["weights", str(shards), "--map", str(out / "report.json"), "-o", str(tuned / WEIGHTS_FILE[target]),
                       "--max-shard-size", f"{args.shard_mb}MB", *options]  # fmt: skip
            runs = []
            for _ in range(args.repeat):
                shutil.rmtree(tuned, ignore_errors=True)  # outside the timing, as for the disk reference
                runs.append(speed.cli_run(command))
            rss, seconds = max(r[0] for r in runs), min(r[1] for r in runs)
            results[mode] = (rss, seconds, tuned)
        serial = _contents(results["1"][2])
        same = all(_contents(result[2]) == serial for result in results.values())
        for mode, result in results.items():  # 1.2 GB each: only -j 1's is kept (it is loaded below)
            if mode != "1":
                shutil.rmtree(result[2])
        tuned = results["1"][2]
        for name in ("model.py", "report.json"):
            shutil.copy(out / name, tuned / name)
        y_path = folder / f"y-{target}.npy"
        subprocess.run([sys.executable, "-c", _RUN_PORT, target, str(tuned), str(folder / "expected.npz"), str(y_path)], check=True)  # fmt: skip
        expected = np.load(folder / "expected.npz")["logits"]
        error = float(np.max(np.abs(np.load(y_path) - expected)) / max(1.0, float(np.max(np.abs(expected)))))
        for mode, (rss, seconds, _) in results.items():
            rows.append(
                f"| {target} | {mode if mode.isdigit() else '--ray (2 CPUs)'} | {seconds:.2f} | {start_up:.2f} | {disk:.2f} | {seconds / disk:.2f} | "
                f"{(seconds - start_up) / disk:.2f} | {rss / 2**30:.2f} | "
                f"{base / 2**30:.2f} | {largest / 2**30:.2f} | {(rss - base) / largest:.2f} | "
                f"{'equal' if same else 'DIFFER'} | {error:.1e} |"
            )
    print("| target | -j or --ray | porter weights (s) | the same on a tiny model (s) | read+write the shards (s) | ratio | ratio "
          "less start-up | peak RSS (GiB) | baseline (GiB) | largest shard (GiB) | (peak - baseline) / largest shard "
          "| outputs of every mode vs -j 1 | logits max error / max(1, abs(ref)) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    if args.ray:
        ray.shutdown()
    if args.folder is None:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
