"""Subprocess entry points that run one side of a comparison and exchange tensors as .npz files.

Each framework runs in its own process (mindspore and torch cannot share one; paddle should not be
imported by the converting process at all). .npz files are read with allow_pickle=False.

    python -m porter.validators.runners onnxruntime MODEL.onnx INPUTS.npz OUT.npz
    python -m porter.validators.runners target TARGET OUT_DIR INPUTS.npz OUT.npz [DEVICE]
    python -m porter.validators.runners export TARGET OUT_DIR INPUTS.npz [INPUTS.npz ...]
    python -m porter.validators.runners taps TARGET OUT_DIR INPUTS.npz OUT.npz DEVICE [FEED.npz]
    python -m porter.validators.runners torch FACTORY_SPEC INPUTS.npz OUT.npz
"""

from __future__ import annotations

import inspect
import sys
import warnings

import numpy as np


def _read_inputs(path: str) -> list[np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        return [data[f"input_{i}"] for i in range(len(data.files))]


def _write_outputs(path: str, outputs: list[np.ndarray]) -> None:
    np.savez(path, **{f"output_{i}": np.asarray(o) for i, o in enumerate(outputs)})


def run_onnxruntime(model_path: str, inputs_path: str, out_path: str) -> None:
    import onnxruntime as ort

    session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    outputs = session.run(None, dict(zip(names, _read_inputs(inputs_path))))
    _write_outputs(out_path, outputs)


def _flatten(value) -> list:
    """A module's outputs in the order torch.onnx flattens them (tensors, tuples, dicts; None dropped)."""
    if value is None:
        return []
    if isinstance(value, dict):  # also transformers' ModelOutput
        return [t for v in value.values() for t in _flatten(v)]
    if isinstance(value, tuple | list):
        return [t for v in value for t in _flatten(v)]
    return [value]


def call_torch(module, example, arrays: list[np.ndarray]) -> list:
    """The module's flattened outputs for the graph's input arrays: keyword inputs (a dict example) in the
    order the exporter made graph inputs of them."""
    import torch

    tensors = [torch.from_numpy(a) for a in arrays]
    if isinstance(example, dict):
        order = [name for name in inspect.signature(module.forward).parameters if name in example]
        return _flatten(module(**dict(zip(order, tensors))))
    return _flatten(module(*tensors))


def run_torch(spec: str, inputs_path: str, out_path: str) -> None:
    """PyTorch itself as the source: the factory's module, eval mode, on the given inputs."""
    import torch

    from porter.frontends.torch_source import load_factory

    module, example = load_factory(spec)
    module.eval()
    with torch.no_grad():
        outputs = call_torch(module, example, _read_inputs(inputs_path))
    _write_outputs(out_path, [o.detach().cpu().numpy() for o in outputs])


def run_target(target: str, out_dir: str, inputs_path: str, out_path: str, device: str = "cpu") -> None:
    from porter.loading import load
    from porter.targets import get_target

    runtime = get_target(target).load_runtime()
    runtime.prepare(device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outputs = runtime.run(load(out_dir), _read_inputs(inputs_path))
    _write_outputs(out_path, outputs)


def run_taps(target: str, out_dir: str, inputs_path: str, out_path: str, device: str, feed_path: str = "") -> None:
    """Run an instrumented copy of OUT's model.py; write every tapped value as tap_<i> (report "values" order).

    With FEED.npz (same keys), each tapped value is replaced by the fed one before the next statement.
    """
    import json
    import os
    import tempfile

    from porter.loading import import_generated
    from porter.targets import get_target
    from porter.validators.taps import TAP, instrument

    os.environ.pop("PORTER_MS_MODE", None)  # taps call back into Python: MindSpore must run PyNative
    runtime = get_target(target).load_runtime()
    runtime.prepare(device)
    with open(os.path.join(out_dir, "report.json"), encoding="utf-8") as f:
        report = json.load(f)
    with open(os.path.join(out_dir, "model.py"), encoding="utf-8") as f:
        code = instrument(f.read(), report["class_name"], report["values"])
    key_of = {m["value"]: f"tap_{i}" for i, m in enumerate(report["values"])}
    feed = {}
    if feed_path:
        with np.load(feed_path, allow_pickle=False) as data:
            feed = {k: data[k] for k in data.files}
    captured: dict[str, np.ndarray] = {}

    def tap(value_name, value):
        key = key_of[value_name]
        array = runtime.to_numpy(value)
        captured[key] = array
        is_tensor = hasattr(value, "numpy") or hasattr(value, "asnumpy")
        if key in feed and is_tensor and feed[key].shape == array.shape:
            return runtime.to_tensor(feed[key].astype(array.dtype))
        return value

    with tempfile.TemporaryDirectory(prefix="porter-taps-") as tmp:
        with open(os.path.join(tmp, "model.py"), "w", encoding="utf-8") as f:
            f.write(code)
        module = import_generated(tmp)
        setattr(module, TAP, tap)
        model = module.load_model(out_dir)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            runtime.run(model, _read_inputs(inputs_path))
    np.savez(out_path, **captured)


def export_and_check(target: str, out_dir: str, *inputs_paths: str) -> None:
    """Write the static export beside model.py, reload it with the deployment runtime (Paddle Inference,
    MindSpore's GraphCell), run it on each input set (shapes other than the traced one) and print the
    largest difference to model.py as JSON on stdout. A failure prints {"error": ...} naming the ONNX
    node and the model.py line the compiler stopped at, and exits 1."""
    import json
    import os

    from porter.loading import load
    from porter.targets import get_target

    spec = get_target(target)
    runtime = spec.load_runtime()
    runtime.prepare("cpu")
    with open(os.path.join(out_dir, "report.json"), encoding="utf-8") as f:
        report = json.load(f)
    model = load(out_dir)
    path = os.path.join(out_dir, spec.export_dir, "model")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            files = runtime.export(model, report["input_specs"], path)
            runners = runtime.exported_runtimes(path)
        except Exception as exc:  # the compiler's own error, traced back to the generated line and node
            print(json.dumps({"error": export_failure(exc, out_dir, report)}))
            sys.exit(1)
        inputs = [_read_inputs(p) for p in inputs_paths]
        expected = []
        for arrays in inputs:
            try:
                expected.append(runtime.run(model, arrays))
            except Exception as exc:  # model.py itself cannot run these inputs (shapes taken from data)
                where = export_failure(exc, out_dir, report)
                shapes = [list(a.shape) for a in arrays]
                print(json.dumps({"error": f"model.py itself fails at input shapes {shapes}: {where}"}))
                sys.exit(1)
        # the deployment runtime's default configuration first; a variant (Paddle Inference with oneDNN
        # off) only when the default differs or fails (DeepSeek-V3: oneDNN's ScatterND kernel rejects the
        # updates' run-time batch), and the result says so
        deviations, first_error = [], None
        for k, (label, exported) in enumerate(runners):
            checks, crash = [], None
            for arrays, reference in zip(inputs, expected):
                shapes = [list(a.shape) for a in arrays]
                try:
                    actual = runtime.run(exported, arrays)
                except Exception as exc:
                    crash = f"{label}, input shapes {shapes}: {export_failure(exc, out_dir, report)}"
                    break
                checks.append({"shapes": shapes, **_compare(actual, reference)})
            if crash is not None:
                first_error = first_error or crash
                if k == len(runners) - 1:
                    print(json.dumps({"error": first_error}))
                    sys.exit(1)
                deviations.append(crash)
                continue
            failed = [c for c in checks if not c["passed"]]
            if not failed:
                break
            deviations.append(f"{label}: at input shapes {failed[0]['shapes']}, {failed[0]['why']}")
    worst = max((c["max_abs"] for c in checks), default=0.0)
    result = {
        "files": [os.path.relpath(f, out_dir) for f in files],
        "max_abs_vs_generated": worst,
        "runtime": label,
        "checks": checks,
        "deviations": deviations,
    }
    print(json.dumps(result))


def _compare(actual: list[np.ndarray], expected: list[np.ndarray]) -> dict:
    """Largest abs difference, and whether it is within 1e-4 x max(1, |model.py|) (ints and bools exact)."""
    if len(actual) != len(expected):
        return {"max_abs": float("inf"), "passed": False, "why": f"{len(actual)} outputs, expected {len(expected)}"}
    worst, passed, why = 0.0, True, ""
    for i, (a, e) in enumerate(zip(actual, expected)):
        if a.shape != e.shape:
            return {"max_abs": float("inf"), "passed": False, "why": f"output {i} shape {a.shape} != {e.shape}"}
        if not a.size:
            continue
        diff = float(np.max(np.abs(a.astype(np.float64) - e.astype(np.float64))))
        worst = max(worst, diff)
        bound = 1e-4 * max(1.0, float(np.max(np.abs(e.astype(np.float64))))) if e.dtype.kind == "f" else 0.0
        if not diff <= bound:
            passed, why = False, f"output {i} differs by {diff:.3g} (bound {bound:.3g})"
    return {"max_abs": worst, "passed": passed, **({"why": why} if why else {})}


def export_failure(exc: BaseException, out_dir: str, report: dict) -> str:
    """The compiler's message with the model.py line it names (its traceback or its own 'In file' notes)
    and the ONNX node that line was generated from."""
    import os
    import re
    import traceback

    model_py = os.path.join(out_dir, "model.py")
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    lines = [int(m) for m in re.findall(r'model\.py(?:", line |:)(\d+)', text)]
    # Paddle wraps the cause in a "In transformed code: ..." listing: its last "XxxError: ..." line is the cause
    causes = re.findall(r"^\s*(\w+(?:Error|Exception)): (.+)$", str(exc), re.MULTILINE)
    kind, message = causes[-1] if causes else (type(exc).__name__, (str(exc).strip().splitlines() or [""])[0])
    cause = f"{kind}: {message.strip()[:300]}"
    if not lines:
        return cause
    with open(model_py, encoding="utf-8") as f:
        source = f.read().splitlines()
    by_var = {v["var"]: v for v in report.get("values", [])}
    where = []
    for number in reversed(lines):  # the innermost generated line first
        code = source[number - 1].strip() if 0 < number <= len(source) else ""
        var = code.split("=", 1)[0].strip() if "=" in code else ""
        if var in by_var:
            node = by_var[var]
            where = [f"ONNX node {node['node']!r} ({node['op_type']})", f"model.py line {number}: {code[:160]}"]
            break
        if not where:
            where = [f"model.py line {number}: {code[:160]}"]
    return f"{', '.join(where)}: {cause}"


def main(argv: list[str]) -> int:
    if argv[:1] == ["onnxruntime"] and len(argv) == 4:
        run_onnxruntime(*argv[1:])
    elif argv[:1] == ["target"] and len(argv) in (5, 6):
        run_target(*argv[1:])
    elif argv[:1] == ["taps"] and len(argv) in (6, 7):
        run_taps(*argv[1:])
    elif argv[:1] == ["torch"] and len(argv) == 4:
        run_torch(*argv[1:])
    elif argv[:1] == ["export"] and len(argv) >= 4:
        export_and_check(*argv[1:])
    else:
        print(__doc__, file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
