"""Runtime of porter's generated models against each framework's hand-written ones, same process (issue 16).

    python bench/generated_runtime.py [--batch 1] [--repeat 20] [--workdir DIR] [--targets paddle,mindspore]
                                      [--models resnet50,encoder]
    python bench/paddle_kernel_costs.py     # the Paddle encoder's measured causes, kernel by kernel

Models (ResNet-50: the onnx wheel's zoo resnet50 with real-sized random weights, bench/convert_speed.py):
- Paddle process: porter's Paddle port of the zoo resnet50; paddle.vision.models.resnet50 (hand-written);
  X2Paddle 1.6's generated code for the same ONNX file (converted with the older onnx it needs, see
  bench/x2paddle_compare.py); each eager and under paddle.jit.to_static(full_graph=True).
- MindSpore process: porter's MindSpore port against mindcv 0.3's resnet50, PYNATIVE_MODE and GRAPH_MODE.
- Transformer encoder: torch.nn.TransformerEncoder (d_model 256, 4 heads, feed-forward 1024, 2 layers,
  sequence 64, batch_first) ported by porter, against paddle.nn.TransformerEncoder and
  mindspore.nn.TransformerEncoder of the same sizes. Weights are random on each side, not copied: this is
  a timing comparison only.

All models of a mode run in one process on the same input, interleaved (one forward of each in turn per
round), after a warm-up; the median of --repeat rounds is reported, with the ratio porter / hand-written.
X2Paddle and mindcv are bench-only (bench/requirements-bench.txt): their folder is put on PYTHONPATH of the
worker that needs it, never in the venv.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

ENCODER = {"d_model": 256, "nhead": 4, "dim_feedforward": 1024, "layers": 2, "seq": 64}


def torch_encoder(batch: int = 1):
    """porter's PyTorch factory: torch.nn.TransformerEncoder of ENCODER's sizes, eval mode."""
    import torch

    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(
        ENCODER["d_model"], ENCODER["nhead"], ENCODER["dim_feedforward"], dropout=0.0, batch_first=True
    )
    # enable_nested_tensor=False: the nested-tensor fast path is an eval-time runtime trick, not the graph.
    model = torch.nn.TransformerEncoder(layer, ENCODER["layers"], enable_nested_tensor=False).eval()
    return model, (torch.randn(batch, ENCODER["seq"], ENCODER["d_model"]),)


def torch_encoder_batch8():
    return torch_encoder(8)


def _interleaved(fns: dict, repeat: int, warmup: int = 2) -> dict:
    """Median seconds per callable; each round calls every one once, in rotating order, on the same input."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times = {name: [] for name in fns}
    names = list(fns)
    for round_ in range(repeat):
        # Each round starts with the next model, so none is always first (or always after the same one).
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            start = time.perf_counter()
            fns[name]()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(ts) for name, ts in times.items()}


def paddle_worker(work: Path, batch: int, repeat: int, models: list[str]) -> dict:
    import importlib.util

    import numpy as np
    import paddle

    import porter

    def x2paddle_model(folder: Path):
        spec = importlib.util.spec_from_file_location("x2paddle_code", folder / "x2paddle_code.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        model = module.ONNXModel()
        model.set_dict(paddle.load(str(folder / "model.pdparams")), use_structured_name=True)
        return model

    def compiled(model, shape):
        spec = [paddle.static.InputSpec(shape, "float32")]
        return paddle.jit.to_static(model, input_spec=spec, full_graph=True)

    rng = np.random.default_rng(0)
    results = {}
    image = paddle.to_tensor(rng.standard_normal((batch, 3, 224, 224), dtype=np.float32))
    tokens = paddle.to_tensor(rng.standard_normal((batch, ENCODER["seq"], ENCODER["d_model"]), dtype=np.float32))
    resnets, encoders = {}, {}
    if "resnet50" in models:
        resnets = {"porter": porter.load(work / f"resnet50_paddle_b{batch}"), "hand": paddle.vision.models.resnet50()}
        if (work / f"resnet50_x2paddle_b{batch}" / "x2paddle_code.py").is_file():
            resnets["x2paddle"] = x2paddle_model(work / f"resnet50_x2paddle_b{batch}")
    if "encoder" in models:
        layer = paddle.nn.TransformerEncoderLayer(
            ENCODER["d_model"], ENCODER["nhead"], ENCODER["dim_feedforward"], dropout=0.0
        )
        encoders = {
            "porter": porter.load(work / f"encoder_paddle_b{batch}"),
            "hand": paddle.nn.TransformerEncoder(layer, ENCODER["layers"]),
        }
    for model in [*resnets.values(), *encoders.values()]:
        model.eval()
    with paddle.no_grad():
        for task, models_, x in (("resnet50", resnets, image), ("encoder", encoders, tokens)):
            if task not in models:
                continue
            # .numpy() waits for the result.
            results[f"{task} eager"] = _interleaved(
                {k: (lambda m=m, x=x: m(x).numpy()) for k, m in models_.items()}, repeat
            )
            static = {k: compiled(m, list(x.shape)) for k, m in models_.items()}
            results[f"{task} to_static"] = _interleaved(
                {k: (lambda m=m, x=x: m(x).numpy()) for k, m in static.items()}, repeat
            )
    return results


def mindspore_worker(work: Path, batch: int, repeat: int, models: list[str]) -> dict:
    import mindspore
    import numpy as np

    import porter

    os.environ.setdefault("MS_DEV_SAVE_GRAPHS_PATH", tempfile.mkdtemp())
    from mindcv.models import create_model

    rng = np.random.default_rng(0)
    image = mindspore.Tensor(rng.standard_normal((batch, 3, 224, 224), dtype=np.float32))
    tokens = mindspore.Tensor(rng.standard_normal((batch, ENCODER["seq"], ENCODER["d_model"]), dtype=np.float32))
    results = {}
    for mode, label in ((mindspore.PYNATIVE_MODE, "PYNATIVE"), (mindspore.GRAPH_MODE, "GRAPH")):
        mindspore.set_context(mode=mode)
        layer = mindspore.nn.TransformerEncoderLayer(
            ENCODER["d_model"], ENCODER["nhead"], ENCODER["dim_feedforward"], dropout=0.0, batch_first=True
        )
        tasks = {  # built only when timed
            "resnet50": (lambda: {"porter": porter.load(work / f"resnet50_mindspore_b{batch}"), "hand": create_model("resnet50")}, image),
            "encoder": (lambda layer=layer: {"porter": porter.load(work / f"encoder_mindspore_b{batch}"),
                                             "hand": mindspore.nn.TransformerEncoder(layer, ENCODER["layers"])}, tokens),
        }  # fmt: skip
        for task, (build, x) in tasks.items():
            if task not in models:
                continue
            models_ = build()
            for model in models_.values():
                model.set_train(False)
            results[f"{task} {label}"] = _interleaved(
                {k: (lambda m=m, x=x: m(x).asnumpy()) for k, m in models_.items()}, repeat
            )
    return results


def positive_variances(path: Path) -> None:
    """materialize_zoo draws every weight from a normal distribution, BatchNorm's running variances too: half
    are negative and the output is NaN. Runtimes are compared on finite numbers, as the hand-written models
    (default init) compute: the variances become their absolute values."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(path)
    variances = {node.input[4] for node in model.graph.node if node.op_type == "BatchNormalization"}
    for i, init in enumerate(model.graph.initializer):
        if init.name in variances:
            array = np.abs(numpy_helper.to_array(init))
            model.graph.initializer[i].CopyFrom(numpy_helper.from_array(array, init.name))
    onnx.save(model, path)


def rebatch(path: Path, batch: int) -> None:
    """The zoo file declares batch 1 and flattens to a constant [1, 2048]: both become `batch`."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(path)
    for value in (model.graph.input[0], model.graph.output[0]):
        value.type.tensor_type.shape.dim[0].dim_value = batch
    shapes = {node.input[1] for node in model.graph.node if node.op_type == "Reshape"}
    for i, init in enumerate(model.graph.initializer):
        if init.name in shapes:
            array = numpy_helper.to_array(init).copy()
            array[0] = batch if array[0] == 1 else array[0]
            model.graph.initializer[i].CopyFrom(numpy_helper.from_array(array, init.name))
    onnx.save(model, path)


def run(command: list[str], env: dict | None = None) -> str:
    proc = subprocess.run(command, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command[:6])} ...: exit {proc.returncode}\n{proc.stderr[-3000:]}")
    return proc.stdout


def prepare(work: Path, batch: int, x2paddle_path: str, models: list[str]) -> None:
    """Converts what the workers load (once per workdir): the zoo resnet50 and the torch encoder, both targets
    (only those of `models`)."""
    from convert_speed import materialize_zoo
    from x2paddle_compare import x2paddle_failure

    if batch not in (1, 8):
        raise SystemExit("--batch: 1 or 8 (the encoder's factories)")
    onnx_path = work / f"resnet50_b{batch}.onnx"
    if "resnet50" in models and not onnx_path.exists():
        materialize_zoo("resnet50", onnx_path)
        positive_variances(onnx_path)
        if batch != 1:
            rebatch(onnx_path, batch)
    factory = f"{HERE / 'generated_runtime.py'}:" + ("torch_encoder" if batch == 1 else "torch_encoder_batch8")
    for target in ("paddle", "mindspore"):
        for name, source in (("resnet50", str(onnx_path)), ("encoder", factory)):
            out = work / f"{name}_{target}_b{batch}"
            if name not in models:
                continue
            if not (out / "model.py").is_file():
                run([sys.executable, "-m", "porter.cli", "convert", source, "--to", target, "-o", str(out), "--force"])
    x2_out = work / f"resnet50_x2paddle_b{batch}"
    if "resnet50" in models and not (x2_out / "x2paddle_code.py").is_file():
        failure = x2paddle_failure(onnx_path, x2_out, x2paddle_path)
        if failure:
            print(f"X2Paddle does not convert resnet50:\n{failure}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--targets", default="paddle,mindspore")
    parser.add_argument("--models", default="resnet50,encoder", help="which of resnet50,encoder to time")
    parser.add_argument("--x2paddle-path", default="/tmp/benchdeps-onnx:/tmp/benchdeps")
    parser.add_argument("--benchdeps", default="/tmp/benchdeps", help="PYTHONPATH with x2paddle and mindcv")
    parser.add_argument("--worker", choices=["paddle", "mindspore"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="generated_runtime_"))
    if args.worker:
        worker = {"paddle": paddle_worker, "mindspore": mindspore_worker}[args.worker]
        print("RESULT " + json.dumps(worker(work, args.batch, args.repeat, args.models.split(","))))
        return
    work.mkdir(parents=True, exist_ok=True)
    prepare(work, args.batch, args.x2paddle_path, args.models.split(","))
    env = {**os.environ, "PYTHONPATH": args.benchdeps}
    print(f"batch {args.batch}, median of {args.repeat} interleaved rounds; load average {os.getloadavg()[0]:.1f}")
    print("| model | mode | porter (ms) | hand-written (ms) | porter / hand | X2Paddle (ms) | X2Paddle / hand |")
    print("|---|---|---|---|---|---|---|")
    for target in args.targets.split(","):
        out = run([sys.executable, __file__, "--worker", target, "--workdir", str(work), "--batch", str(args.batch),
                   "--repeat", str(args.repeat), "--models", args.models], env)  # fmt: skip
        line = next(ln for ln in out.splitlines() if ln.startswith("RESULT "))
        for key, times in json.loads(line[len("RESULT ") :]).items():
            task, mode = key.split(" ")
            x2 = times.get("x2paddle")
            x2_cells = f"{x2 * 1e3:.1f} | {x2 / times['hand']:.2f}" if x2 else "- | -"
            print(f"| {task} ({target}) | {mode} | {times['porter'] * 1e3:.1f} | {times['hand'] * 1e3:.1f} | "
                  f"{times['porter'] / times['hand']:.2f} | {x2_cells} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
