"""Train-mode parity of a port converted with `training=True`: the same batches through torch and through
the port in train mode (outputs and running statistics after each), then one eval-mode forward, and the
trainable size. Each framework runs in its own process; the shared numbers travel as .npz files."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

import porter
from porter.validators.tolerances import tolerance_for

FACTORIES = Path(__file__).parent.parent / "porter" / "frontends" / "torch_factories.py"

_TORCH = """
import importlib.util, numpy as np, torch
spec = importlib.util.spec_from_file_location("factories", {factories!r})
mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
model, _ = getattr(mod, {factory!r})()
batches = np.load({batches!r})
out = {{}}
model.train()
with torch.no_grad():
    for k in range(len(batches.files)):
        out[f"train.{{k}}"] = model(torch.from_numpy(batches[f"b{{k}}"])).numpy()
    model.eval()
    out["eval"] = model(torch.from_numpy(batches["b0"])).numpy()
for key, value in model.state_dict().items():
    out[f"state.{{key}}"] = value.numpy()
out["trainable"] = np.array(sum(p.numel() for p in model.parameters() if p.requires_grad))
np.savez({result!r}, **out)
"""
_PORT = {
    "paddle": """
import importlib.util, numpy as np, paddle
spec = importlib.util.spec_from_file_location("port", {model!r})
mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
model = mod.load_model()
batches = np.load({batches!r})
out = {{}}
model.train()
with paddle.no_grad():
    for k in range(len(batches.files)):
        out[f"train.{{k}}"] = model(paddle.to_tensor(batches[f"b{{k}}"])).numpy()
    model.eval()
    out["eval"] = model(paddle.to_tensor(batches["b0"])).numpy()
for key, value in model.state_dict().items():
    out[f"state.{{key}}"] = value.numpy()
out["trainable"] = np.array(sum(int(p.size) for p in model.parameters() if not p.stop_gradient))
np.savez({result!r}, **out)
""",
    "mindspore": """
import importlib.util, sys, numpy as np, mindspore
spec = importlib.util.spec_from_file_location("port", {model!r})
mod = importlib.util.module_from_spec(spec); sys.modules["port"] = mod; spec.loader.exec_module(mod)
model = mod.load_model()
batches = np.load({batches!r})
out = {{}}
model.set_train(True)
for k in range(len(batches.files)):
    out[f"train.{{k}}"] = model(mindspore.Tensor(batches[f"b{{k}}"])).asnumpy()
model.set_train(False)
out["eval"] = model(mindspore.Tensor(batches["b0"])).asnumpy()
for name, param in model.parameters_and_names():
    out[f"state.{{name}}"] = param.asnumpy()
out["trainable"] = np.array(sum(int(p.size) for p in model.trainable_params()))
np.savez({result!r}, **out)
""",
}


def _run(code: str) -> None:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]


def train_mode_runs(tmp_path: Path, target: str, factory: str = "batch_norm_cnn", steps: int = 3):
    """{"torch": arrays, "port": arrays, "map": torch key -> port key} after `steps` train-mode forwards."""
    out = tmp_path / "port"
    result = porter.convert(f"{FACTORIES}:{factory}", target, out, training=True)
    rng = np.random.default_rng(0)
    shape = json.loads((out / "report.json").read_text())["input_specs"][0]["shape"]
    batches = {f"b{k}": (rng.standard_normal(shape) * 2 + 1).astype(np.float32) for k in range(steps)}
    np.savez(tmp_path / "batches.npz", **batches)
    files = {"batches": str(tmp_path / "batches.npz")}
    _run(_TORCH.format(factories=str(FACTORIES), factory=factory, result=str(tmp_path / "torch.npz"), **files))
    _run(_PORT[target].format(model=str(out / "model.py"), result=str(tmp_path / "port.npz"), **files))
    torch_side, port_side = np.load(tmp_path / "torch.npz"), np.load(tmp_path / "port.npz")
    return {
        "torch": {k: torch_side[k] for k in torch_side.files},
        "port": {k: port_side[k] for k in port_side.files},
        "map": {row["source"]: row["target"] for row in result.param_map},
        "code": result.code,
    }


def assert_train_mode_parity(runs: dict, steps: int = 3) -> None:
    tol = tolerance_for("float32")
    torch_side, port_side = runs["torch"], runs["port"]
    for key in [f"train.{k}" for k in range(steps)] + ["eval"]:
        np.testing.assert_allclose(port_side[key], torch_side[key], rtol=tol.rtol, atol=tol.atol, err_msg=key)
    stats = [k for k in runs["map"] if k.endswith(("running_mean", "running_var"))]
    assert stats, runs["map"]
    for key in stats:
        np.testing.assert_allclose(
            port_side[f"state.{runs['map'][key]}"],
            torch_side[f"state.{key}"],
            rtol=tol.rtol,
            atol=tol.atol,
            err_msg=key,
        )
    assert int(port_side["trainable"]) == int(torch_side["trainable"])


def padded_embedding_training(tmp_path: Path, target: str) -> tuple[dict, str, str]:
    """(`porter validate --train`'s result, the train port's model.py, the eval port's model.py) for an
    Embedding with padding_idx: AdamW steps on batches whose ids hit the padding row."""
    from porter.validators.train import validate_training

    spec = f"{FACTORIES}:padded_embedding"
    train = porter.convert(spec, target, tmp_path / "train", dynamic=["batch", "seq"], training=True)
    plain = porter.convert(spec, target, tmp_path / "eval", dynamic=["batch", "seq"])
    return validate_training(tmp_path / "train", steps=3), train.code, plain.code
