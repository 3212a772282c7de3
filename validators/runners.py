"""Subprocess entry points that run one side of a comparison and exchange tensors as .npz files.

Each framework runs in its own process (mindspore and torch cannot share one; paddle should not be
imported by the converting process at all). .npz files are read with allow_pickle=False.

    python -m porter.validators.runners onnxruntime MODEL.onnx INPUTS.npz OUT.npz
    python -m porter.validators.runners target TARGET OUT_DIR INPUTS.npz OUT.npz [DEVICE]
    python -m porter.validators.runners export TARGET OUT_DIR INPUTS.npz
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


def run_torch(spec: str, inputs_path: str, out_path: str) -> None:
    """PyTorch itself as the source: the factory's module, eval mode, on the given inputs."""
    import torch

    from porter.frontends.torch_source import load_factory

    module, example = load_factory(spec)
    module.eval()
    arrays = [torch.from_numpy(a) for a in _read_inputs(inputs_path)]
    with torch.no_grad():
        if isinstance(example, dict):  # keyword inputs, in the order the exporter made graph inputs of them
            order = [name for name in inspect.signature(module.forward).parameters if name in example]
            outputs = _flatten(module(**dict(zip(order, arrays))))
        else:
            outputs = _flatten(module(*arrays))
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


def export_and_check(target: str, out_dir: str, inputs_path: str) -> None:
    """Write the static export beside model.py, reload it, and print the largest difference to stdout."""
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
    inputs = _read_inputs(inputs_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = runtime.run(model, inputs)
        files = runtime.export(model, report["input_specs"], os.path.join(out_dir, spec.export_dir, "model"))
        actual = runtime.run(runtime.load_exported(os.path.join(out_dir, spec.export_dir, "model")), inputs)
    worst = max(
        (float(np.max(np.abs(a.astype(np.float64) - e.astype(np.float64)))) if a.size else 0.0)
        for a, e in zip(actual, expected)
    )
    print(json.dumps({"files": [os.path.relpath(f, out_dir) for f in files], "max_abs_vs_generated": worst}))


def main(argv: list[str]) -> int:
    if argv[:1] == ["onnxruntime"] and len(argv) == 4:
        run_onnxruntime(*argv[1:])
    elif argv[:1] == ["target"] and len(argv) in (5, 6):
        run_target(*argv[1:])
    elif argv[:1] == ["taps"] and len(argv) in (6, 7):
        run_taps(*argv[1:])
    elif argv[:1] == ["torch"] and len(argv) == 4:
        run_torch(*argv[1:])
    elif argv[:1] == ["export"] and len(argv) == 4:
        export_and_check(*argv[1:])
    else:
        print(__doc__, file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
