"""Conversion speed and peak memory for ONNX sources, as ratios against the disk in the same run (issue 16).

Three measurements, each against a reference taken in the same run (the machine is shared and noisy):

- zoo: the nine model-zoo CNNs of the onnx wheel with real-sized weights (the wheel's "light" files
  compute each weight with a ConstantOfShape; here those become random initializers of the same shape,
  saved inline). `porter.convert` in this process, best of --repeat, against reading the .onnx file and
  writing the same bytes to a file beside the output (best of --repeat).
- memory: a decoder-like MLP with about --mlp-gib GiB of fp32 weights in external data (residual blocks
  MatMul+Add, Relu, MatMul+Add, and a Gemm head with transB=1), converted by `porter convert` in a
  subprocess for each target: wall time against reading and writing the external data file, and peak
  RSS (the child's ru_maxrss) above the same command's peak on examples/tiny_cnn.onnx (the interpreter,
  porter and its imports). Each port is then validated on a small batch against onnxruntime, in its own
  process.
- growth (--layers): conversion time and peak RSS of synthetic decoders with 2, 4, 8, 16 ... layers,
  plotted to --plot.

Run: python bench/convert_speed.py [--repeat 3] [--mlp-gib 1.0] [--layers 2,4,8,16,32] [--plot bench/convert_growth.png]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import porter
from porter.zoo import ZOO_MODELS, model_path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ("paddle", "mindspore")
# Runs a command and prints its peak RSS (KiB): ru_maxrss of the only child this wrapper ever waits for.
_RSS_WRAPPER = (
    "import resource, subprocess, sys, time; t = time.perf_counter(); "
    "rc = subprocess.run(sys.argv[1:]).returncode; t = time.perf_counter() - t; "
    "print('RSS', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, t, rc)"
)


def _best(fn, repeat: int, fresh: Path) -> float:
    """Best time of fn() over repeat runs, each writing `fresh` anew: the old output is removed first,
    outside the timing (replacing a large output costs its deletion, which the reference would not pay)."""
    times = []
    for _ in range(repeat):
        if fresh.is_dir():
            shutil.rmtree(fresh)
        fresh.unlink(missing_ok=True)
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def copy_bytes(sources: list[Path], dest: Path, limit: int | None = None) -> None:
    """The disk reference: read the model's bytes and write them again (what any converter must do);
    only the first `limit` bytes where the disk has no room for a whole second copy."""
    left = float("inf") if limit is None else limit
    with open(dest, "wb") as out:
        for source in sources:
            with open(source, "rb") as f:
                while left > 0 and (chunk := f.read(int(min(16 << 20, left)))):
                    out.write(chunk)
                    left -= len(chunk)


def materialize_zoo(name: str, path: Path, seed: int = 0) -> int:
    """The wheel's light model with each ConstantOfShape weight as a random initializer; returns weight bytes."""
    model = onnx.load(model_path(name))
    inits = {i.name: i for i in model.graph.initializer}
    declared = {vi.name for vi in model.graph.input}
    rng = np.random.default_rng(seed)
    kept, total = [], 0
    for node in model.graph.node:
        if node.op_type == "ConstantOfShape" and node.input[0] in inits:
            shape = numpy_helper.to_array(inits[node.input[0]]).tolist()
            scale = float(numpy_helper.to_array(node.attribute[0].t).reshape(-1)[0])
            array = (rng.standard_normal(shape, dtype=np.float32) * scale).astype(np.float32)
            model.graph.initializer.append(numpy_helper.from_array(array, node.output[0]))
            if model.ir_version < 4 and node.output[0] not in declared:  # old IR: initializers are inputs too
                model.graph.input.append(helper.make_tensor_value_info(node.output[0], TensorProto.FLOAT, shape))
            total += array.nbytes
        else:
            kept.append(node)
    del model.graph.node[:]
    model.graph.node.extend(kept)
    onnx.save(model, path)
    return total


class ExternalWriter:
    """Initializers written straight to one external data file (the model is never whole in memory)."""

    def __init__(self, folder: Path, location: str = "model.onnx_data", seed: int = 0, dtype=np.float32):
        self.folder, self.location = folder, location
        self.file = open(folder / location, "wb")  # noqa: SIM115 (closed by close())
        self.rng = np.random.default_rng(seed)
        self.dtype = np.dtype(dtype)  # float32, float16, or ml_dtypes.bfloat16
        self.tensors: list[TensorProto] = []
        self.bytes = 0

    def draw(self, shape: list[int]) -> np.ndarray:
        """Fresh float32 standard normal values (a subclass may draw them faster)."""
        return self.rng.standard_normal(shape, dtype=np.float32)

    def add(self, name: str, shape: list[int], scale: float, mean: float = 0.0) -> str:
        array = self.draw(shape)
        array *= scale  # in place: a large tensor is drawn once, then narrowed
        array += mean
        array = array.astype(self.dtype, copy=False)
        tensor = TensorProto(name=name, dims=shape, data_type=helper.np_dtype_to_tensor_dtype(self.dtype))
        tensor.data_location = TensorProto.EXTERNAL
        offset = self.file.tell()
        self.file.write(array.tobytes())
        for key, value in (("location", self.location), ("offset", offset), ("length", array.nbytes)):
            tensor.external_data.add(key=key, value=str(value))
        self.tensors.append(tensor)
        self.bytes += array.nbytes
        return name

    def close(self) -> None:
        self.file.close()


def decoder_mlp(folder: Path, gib: float, width: int = 1024, vocab: int = 32000) -> tuple[Path, int]:
    """x -> blocks of x + (relu(x @ up + b) @ down + b) -> Gemm(x, head^T): about `gib` GiB of fp32 weights."""
    head_bytes = vocab * width * 4
    block_bytes = 2 * width * 4 * width * 4
    blocks = max(1, round((gib * 2**30 - head_bytes) / block_bytes))
    weights = ExternalWriter(folder)
    nodes, x = [], "x"
    for i in range(blocks):
        up = weights.add(f"blocks.{i}.up.weight", [width, 4 * width], 0.5 / width**0.5)
        up_b = weights.add(f"blocks.{i}.up.bias", [4 * width], 0.01)
        down = weights.add(f"blocks.{i}.down.weight", [4 * width, width], 0.5 / (4 * width) ** 0.5)
        down_b = weights.add(f"blocks.{i}.down.bias", [width], 0.01)
        nodes += [
            helper.make_node("MatMul", [x, up], [f"b{i}_up"]),
            helper.make_node("Add", [f"b{i}_up", up_b], [f"b{i}_upb"]),
            helper.make_node("Relu", [f"b{i}_upb"], [f"b{i}_act"]),
            helper.make_node("MatMul", [f"b{i}_act", down], [f"b{i}_down"]),
            helper.make_node("Add", [f"b{i}_down", down_b], [f"b{i}_downb"]),
            helper.make_node("Add", [x, f"b{i}_downb"], [f"b{i}_out"]),
        ]
        x = f"b{i}_out"
    head = weights.add("head.weight", [vocab, width], 1.0 / width**0.5)
    nodes.append(helper.make_node("Gemm", [x, head], ["logits"], transB=1))
    weights.close()
    graph = helper.make_graph(
        nodes,
        "decoder_mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", width])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", vocab])],
        initializer=weights.tensors,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path = folder / "model.onnx"
    path.write_bytes(model.SerializeToString())
    return path, weights.bytes


def synthetic_decoder(folder: Path, layers: int, width: int = 256, heads: int = 4) -> Path:
    """A transformer-decoder-shaped graph (LayerNorm, attention with reshapes and softmax, MLP), small weights."""
    rng = np.random.default_rng(layers)
    inits, nodes = [], []

    def weight(name, shape, scale=0.02):
        inits.append(numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name))
        return name

    def const(name, values):
        inits.append(numpy_helper.from_array(np.array(values, dtype=np.int64), name))
        return name

    split = const("split_heads", [0, -1, heads, width // heads])
    merge = const("merge_heads", [0, -1, width])
    x = "x"
    for i in range(layers):
        p = f"l{i}_"
        ln_w, ln_b = weight(p + "ln1.w", [width], 1.0), weight(p + "ln1.b", [width])
        nodes.append(helper.make_node("LayerNormalization", [x, ln_w, ln_b], [p + "h"], axis=-1, epsilon=1e-5))
        for proj in ("q", "k", "v"):
            nodes.append(helper.make_node("MatMul", [p + "h", weight(p + proj, [width, width])], [p + proj + "_m"]))
            nodes.append(helper.make_node("Reshape", [p + proj + "_m", split], [p + proj + "_r"]))
            perm = [0, 2, 3, 1] if proj == "k" else [0, 2, 1, 3]
            nodes.append(helper.make_node("Transpose", [p + proj + "_r"], [p + proj + "_t"], perm=perm))
        nodes += [
            helper.make_node("MatMul", [p + "q_t", p + "k_t"], [p + "scores"]),
            helper.make_node("Softmax", [p + "scores"], [p + "probs"], axis=-1),
            helper.make_node("MatMul", [p + "probs", p + "v_t"], [p + "ctx"]),
            helper.make_node("Transpose", [p + "ctx"], [p + "ctx_t"], perm=[0, 2, 1, 3]),
            helper.make_node("Reshape", [p + "ctx_t", merge], [p + "ctx_m"]),
            helper.make_node("MatMul", [p + "ctx_m", weight(p + "o", [width, width])], [p + "attn"]),
            helper.make_node("Add", [x, p + "attn"], [p + "res1"]),
            helper.make_node("MatMul", [p + "res1", weight(p + "up", [width, 4 * width])], [p + "up_m"]),
            helper.make_node("Relu", [p + "up_m"], [p + "act"]),
            helper.make_node("MatMul", [p + "act", weight(p + "down", [4 * width, width])], [p + "down_m"]),
            helper.make_node("Add", [p + "res1", p + "down_m"], [p + "out"]),
        ]
        x = p + "out"
    graph = helper.make_graph(
        nodes,
        f"decoder{layers}",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "seq", width])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, ["batch", "seq", width])],
        initializer=inits,
    )
    path = folder / f"decoder{layers}.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


def cli_run(args: list[str]) -> tuple[int, float]:
    """(peak RSS in bytes, wall seconds) of `porter ...` in a fresh interpreter."""
    command = [sys.executable, "-c", _RSS_WRAPPER, sys.executable, "-m", "porter.cli", *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("RSS ")), None)
    if line is None or line.split()[3] != "0":
        raise RuntimeError(f"porter {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    _, kib, seconds, _ = line.split()
    return int(kib) * 1024, float(seconds)


_RUN_PORT = """
import sys
import numpy as np
target, out, x_path, y_path = sys.argv[1:]
if target == "mindspore":
    import mindspore
    import porter
    y = porter.load(out)(mindspore.Tensor(np.load(x_path))).asnumpy()
else:
    import paddle
    import porter
    y = porter.load(out)(paddle.to_tensor(np.load(x_path))).numpy()
np.save(y_path, y)
"""


def validate_port(model: Path, out: Path, target: str, width: int) -> float:
    """Max abs error / max(1, max abs of the reference) of the port against onnxruntime, batch of 2."""
    import onnxruntime as ort

    x = np.random.default_rng(1).standard_normal((2, width)).astype(np.float32)
    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    expected = session.run(None, {"x": x})[0]
    del session
    np.save(out.parent / "x.npy", x)
    y_path = out.parent / f"y_{target}.npy"
    subprocess.run(
        [sys.executable, "-c", _RUN_PORT, target, str(out), str(out.parent / "x.npy"), str(y_path)], check=True
    )
    got = np.load(y_path)
    return float(np.max(np.abs(got - expected)) / max(1.0, float(np.max(np.abs(expected)))))


def zoo_table(folder: Path, repeat: int, targets) -> list[float]:
    print("| model | weights (MB) | target | porter convert (s) | read+write the file (s) | ratio |")
    print("|---|---|---|---|---|---|")
    ratios = []
    for name in sorted(ZOO_MODELS):
        path = folder / f"{name}.onnx"
        weight_bytes = materialize_zoo(name, path)
        for target in targets:
            out = folder / f"{name}-{target}"
            porter.convert(path, target, out, force=True)  # warm: imports and tables
            convert_s = _best(lambda: porter.convert(path, target, out), repeat, out)  # noqa: B023
            disk_s = _best(lambda: copy_bytes([path], folder / "copy.bin"), repeat, folder / "copy.bin")  # noqa: B023
            ratios.append(convert_s / disk_s)
            print(
                f"| {name} | {weight_bytes / 1e6:.0f} | {target} | {convert_s:.3f} | {disk_s:.3f} | {convert_s / disk_s:.2f} |"
            )
        path.unlink()
    print(f"\ngeomean ratio porter/disk: {statistics.geometric_mean(ratios):.2f}")
    return ratios


def memory_table(folder: Path, gib: float, repeat: int, targets) -> dict:
    model, weight_bytes = decoder_mlp(folder, gib)
    base_rss = {t: min(cli_run(["convert", str(ROOT / "examples" / "tiny_cnn.onnx"), "--to", t, "-o", str(folder / "tiny"), "--force"])[0] for _ in range(2)) for t in targets}  # fmt: skip
    print(
        f"\ndecoder-like MLP: {weight_bytes / 2**30:.2f} GiB of fp32 weights in external data ({model.name}, model.onnx_data)"
    )
    print("| target | porter.convert (s) | read+write the data (s) | ratio | `porter convert` wall (s) | peak RSS (GiB) | baseline RSS (GiB) | (peak - baseline) / weights | max error / max(1, abs(ref)) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    results, copy = {}, folder / "copy.bin"
    for target in targets:
        out = folder / f"mlp-{target}"
        runs = [cli_run(["convert", str(model), "--to", target, "-o", str(out), "--force"]) for _ in range(repeat)]
        peak, wall_s = max(r[0] for r in runs), min(r[1] for r in runs)
        convert_s = _best(lambda: porter.convert(model, target, out), repeat, out)  # noqa: B023
        disk_s = _best(lambda: copy_bytes([folder / "model.onnx_data"], copy), repeat, copy)
        copy.unlink()
        error = validate_port(model, out, target, width=1024)
        net = (peak - base_rss[target]) / weight_bytes
        results[target] = {"convert_s": convert_s, "disk_s": disk_s, "wall_s": wall_s, "peak": peak, "net": net, "error": error}  # fmt: skip
        print(
            f"| {target} | {convert_s:.2f} | {disk_s:.2f} | {convert_s / disk_s:.2f} | {wall_s:.2f} | {peak / 2**30:.2f} | "
            f"{base_rss[target] / 2**30:.2f} | {net:.2f} | {error:.1e} |"
        )
        shutil.rmtree(out)
    print("(the wall time is the whole `porter convert` command: interpreter start and imports included)")
    return results


def growth(folder: Path, layers: list[int], repeat: int, target: str, plot: Path | None) -> None:
    print(f"\ngrowth ({target}): synthetic decoders, width 256")
    print("| layers | nodes | weights (MB) | porter.convert (s) | peak RSS of `porter convert` (MiB) |")
    print("|---|---|---|---|---|")
    rows = []
    for n in layers:
        path = synthetic_decoder(folder, n)
        model = onnx.load(path)
        weight_bytes = sum(numpy_helper.to_array(t).nbytes for t in model.graph.initializer)
        out = folder / f"dec{n}"
        porter.convert(path, target, out, force=True)
        seconds = _best(lambda: porter.convert(path, target, out), repeat, out)  # noqa: B023
        peak, _ = cli_run(["convert", str(path), "--to", target, "-o", str(out), "--force"])
        rows.append((n, len(model.graph.node), weight_bytes, seconds, peak))
        print(f"| {n} | {len(model.graph.node)} | {weight_bytes / 1e6:.1f} | {seconds:.3f} | {peak / 2**20:.0f} |")
    if plot is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
        xs = [r[0] for r in rows]
        left.plot(xs, [r[3] for r in rows], "o-")
        left.set(xlabel="decoder layers", ylabel="porter.convert (s)", title=f"conversion time ({target})")
        right.plot(xs, [r[4] / 2**20 for r in rows], "o-")
        right.set(xlabel="decoder layers", ylabel="peak RSS (MiB)", title="peak memory of `porter convert`")
        for ax in (left, right):  # linear axes: linear growth is a straight line
            ax.set_xticks(xs, [str(x) for x in xs])
            ax.set_ylim(bottom=0)
            ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(plot, dpi=100)
        print(f"plot: {plot}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--targets", default=",".join(TARGETS))
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: zoo, memory, growth")
    parser.add_argument("--mlp-gib", type=float, default=1.0, help="weights of the external-data MLP, GiB")
    parser.add_argument("--layers", default="2,4,8,16,32")
    parser.add_argument("--plot", type=Path, default=ROOT / "bench" / "convert_growth.png")
    parser.add_argument("--json", type=Path, default=None, help="also write the memory figures here")
    args = parser.parse_args()
    targets = [t for t in args.targets.split(",") if t]
    skip = set(args.skip.split(","))
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs; python {platform.python_version()}; onnx {onnx.__version__}"
    )
    with tempfile.TemporaryDirectory(prefix="porter-speed-", dir=os.environ.get("PORTER_BENCH_DIR")) as tmp:
        folder = Path(tmp)
        if "zoo" not in skip:
            zoo_table(folder, args.repeat, targets)
        if "memory" not in skip:
            results = memory_table(folder, args.mlp_gib, args.repeat, targets)
            if args.json is not None:
                args.json.write_text(json.dumps(results, indent=2) + "\n")
        if "growth" not in skip:
            growth(folder, [int(n) for n in args.layers.split(",")], args.repeat, targets[0], args.plot)


if __name__ == "__main__":
    main()
