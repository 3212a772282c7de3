"""A ported model's compiled runtime beside its eager one, per target, in the same run.

    .venv/bin/python bench/compiled_runtime.py [--models llama,bert] [--targets paddle,mindspore] [--repeat 20]

Each architecture from bench/hf_models.py is converted with its symbolic dims, then run in a fresh process
per target: eagerly (Paddle dynamic graph, MindSpore PYNATIVE_MODE) and compiled with the dims left dynamic
(paddle.jit.to_static(full_graph=True) with None dims; GRAPH_MODE with Cell.set_inputs(None dims)), on the
same inputs at batch 4 x sequence 32 (the traced shape is 2 x 8). Reported: median forward time of each,
their ratio, the one-off compile time, and the largest difference between the two outputs.
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
SHAPE = (4, 32)


def _time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def worker(target: str, out_dir: str, repeat: int) -> dict:
    """Runs in its own process: one framework per process."""
    import os

    import numpy as np

    from porter.loading import import_generated

    report = json.loads((Path(out_dir) / "report.json").read_text())
    rng = np.random.default_rng(0)
    arrays = [rng.integers(0, 100, SHAPE).astype(s["dtype"]) for s in report["input_specs"]]
    module = import_generated(out_dir)
    if target == "paddle":
        import paddle

        tensors = [paddle.to_tensor(a) for a in arrays]
        eager = module.load_model(out_dir)
        specs = [paddle.static.InputSpec([d if isinstance(d, int) else None for d in s["shape"]], s["dtype"])
                 for s in report["input_specs"]]  # fmt: skip
        start = time.perf_counter()
        compiled = paddle.jit.to_static(module.load_model(out_dir), input_spec=specs, full_graph=True)
        first = compiled(*tensors)
        compile_s = time.perf_counter() - start
        with paddle.no_grad():
            ref = eager(*tensors)
            run_eager = lambda: eager(*tensors).numpy()  # noqa: E731 - .numpy() waits for the result
            run_compiled = lambda: compiled(*tensors).numpy()  # noqa: E731
            eager_s, compiled_s = _time(run_eager, repeat), _time(run_compiled, repeat)
        diff = float(np.abs(ref.numpy() - first.numpy()).max())
    else:
        import mindspore

        os.environ.setdefault("MS_DEV_SAVE_GRAPHS_PATH", tempfile.mkdtemp())
        tensors = [mindspore.Tensor(a) for a in arrays]
        mindspore.set_context(mode=mindspore.PYNATIVE_MODE)
        eager = module.load_model(out_dir)
        ref = eager(*tensors)
        eager_s = _time(lambda: eager(*tensors).asnumpy(), repeat)
        mindspore.set_context(mode=mindspore.GRAPH_MODE)
        compiled = module.load_model(out_dir)
        compiled.set_inputs(*[mindspore.Tensor(shape=[d if isinstance(d, int) else None for d in s["shape"]],
                                               dtype=getattr(mindspore, s["dtype"])) for s in report["input_specs"]])  # fmt: skip
        start = time.perf_counter()
        first = compiled(*tensors)
        compile_s = time.perf_counter() - start
        compiled_s = _time(lambda: compiled(*tensors).asnumpy(), repeat)
        diff = float(np.abs(ref.asnumpy() - first.asnumpy()).max())
    return {"eager_ms": eager_s * 1e3, "compiled_ms": compiled_s * 1e3, "compile_s": compile_s, "max_abs": diff}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default="llama")
    parser.add_argument("--targets", default="paddle,mindspore")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--worker", nargs=2, metavar=("TARGET", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker, args.repeat)))
        return 0
    import porter

    sys.path.insert(0, str(HERE))
    from hf_models import MODELS

    print("| model | target | eager ms | compiled ms | compiled / eager | compile s | max abs diff |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models.split(","):
            for target in args.targets.split(","):
                out = Path(tmp) / f"{name}-{target}"
                porter.convert(f"{HERE / 'hf_models.py'}:{name}", target, out, dynamic=MODELS[name])
                proc = subprocess.run(
                    [sys.executable, __file__, "--worker", target, str(out), "--repeat", str(args.repeat)],
                    capture_output=True, text=True, cwd=tmp,
                )  # fmt: skip
                if proc.returncode:
                    print(f"| {name} | {target} | failed: {proc.stderr.strip().splitlines()[-1:]} |||||")
                    continue
                r = json.loads(proc.stdout.strip().splitlines()[-1])
                print(f"| {name} | {target} | {r['eager_ms']:.2f} | {r['compiled_ms']:.2f} | "
                      f"{r['compiled_ms'] / r['eager_ms']:.2f} | {r['compile_s']:.1f} | {r['max_abs']:.1e} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
