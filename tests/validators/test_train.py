"""`porter validate --train`: AdamW steps on PyTorch and on the port, loss per step and gradients at step 1
(validators/train.py), through the CLI: verdicts, exit codes, the JSON."""

import json
import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest

import porter
from porter.validators.train import GRAD_RTOL, LOSS_RTOL, compare_gradients, compare_losses
from tests.models import elementwise_chain
from tests.porter.test_cli import porter_cli

FACTORIES = Path(__file__).parent.parent / "porter" / "frontends" / "torch_factories.py"

# Planted faults that leave the forward (and `porter validate`) untouched and show only under training:
# a frozen weight (like a parameter the port declared a buffer), and a gradient scaled by 1%.
_FAULTS = {
    "paddle": {
        "frozen": "    model.head.weight.stop_gradient = True\n",
        "scaled": "    model.head.weight.register_hook(lambda grad: grad * 1.01)\n",
    },
    "mindspore": {"frozen": "    model.head.weight.requires_grad = False\n"},  # a Cell's parameters take no hooks
}


@pytest.fixture(scope="module", params=["paddle", "mindspore"])
def encoder(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(f"train-{request.param}") / "out"
    porter.convert(f"{FACTORIES}:tiny_encoder", request.param, out, dynamic=["batch", "seq"], training=True)
    return request.param, out


def test_a_faithful_port_trains_like_pytorch(encoder, tmp_path):
    target, out = encoder
    json_path = tmp_path / "train.json"
    proc = porter_cli("validate", out, "--train", "--steps", "3", "--json", json_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"validate --train: PASS ({target} on cpu)" in proc.stdout
    result = json.loads(json_path.read_text())
    assert result["kind"] == "porter-validate-train" and result["steps"] == 3 and len(result["rows"]) == 3
    assert all(r["rel"] <= LOSS_RTOL for r in result["rows"])
    # every trainable PyTorch parameter is compared, Paddle's transposed Linear weights through the map
    assert len(result["gradients"]) == 1 + 2 * 6 + 2 and not result["unmapped"]
    assert all(g["rel"] <= GRAD_RTOL for g in result["gradients"])
    losses = [r["torch"] for r in result["rows"]]
    assert losses[0] != losses[1]  # the weights moved between steps


def _planted(out: Path, where: Path, line: str) -> Path:
    faulty = where / "faulty"
    shutil.copytree(out, faulty)
    code = (faulty / "model.py").read_text()
    assert "    return model\n" in code
    (faulty / "model.py").write_text(code.replace("    return model\n", line + "    return model\n"))
    return faulty


def test_a_fault_that_shows_only_in_training_fails(encoder, tmp_path):
    target, out = encoder
    for fault, line in _FAULTS[target].items():
        faulty = _planted(out, tmp_path / fault, line)
        assert porter_cli("validate", faulty).returncode == 0  # inference parity cannot see it
        json_path = tmp_path / fault / "train.json"
        proc = porter_cli("validate", faulty, "--train", "--steps", "2", "--json", json_path)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert f"validate --train: FAIL ({target} on cpu)" in proc.stdout
        result = json.loads(json_path.read_text())
        head = next(g for g in result["gradients"] if g["parameter"] == "head.weight")
        assert not head["passed"] and all(g["passed"] for g in result["gradients"] if g is not head)
        # a frozen weight changes the loss after the first update; a uniformly scaled gradient does not (Adam's
        # step ignores a constant scale): only the gradient comparison sees it
        assert result["rows"][1]["passed"] == (fault == "scaled")


def test_train_needs_a_pytorch_source(tmp_path):
    onnx.save(elementwise_chain(), tmp_path / "chain.onnx")
    porter.convert(str(tmp_path / "chain.onnx"), "paddle", tmp_path / "out")
    proc = porter_cli("validate", tmp_path / "out", "--train")
    assert proc.returncode == 2 and "--train compares against PyTorch" in proc.stderr
    proc = porter_cli("validate", tmp_path / "out", "--train", "--inputs", tmp_path / "chain.onnx")
    assert proc.returncode == 3 and "--inputs does not apply to --train" in proc.stderr


def test_comparisons_fail_on_a_difference_and_name_what_is_missing():
    rows = compare_losses([1.0, 0.9], [1.0, 0.9 * (1 + 2 * LOSS_RTOL)])
    assert [r["passed"] for r in rows] == [True, False]
    grad = np.array([[1.0, -2.0, 0.5]])
    weight_map = [
        {"source": "fc.weight", "target": "fc.weight", "transform": "transpose"},
        {"source": "fc.bias", "target": "fc.bias", "transform": None},
        {"source": "running_mean", "target": "bn._mean", "transform": None},  # a buffer: no gradient
    ]
    torch_grads = {"fc.weight": grad, "fc.bias": np.array([1e-13]), "embed.weight": grad}
    port_grads = {"fc.weight": grad.T * (1 + 1e-6), "fc.bias": np.array([-1e-13])}
    rows, unmapped = compare_gradients(torch_grads, port_grads, weight_map)
    assert [(r["parameter"], r["passed"]) for r in rows] == [("fc.weight", True), ("fc.bias", True)]
    assert unmapped == ["embed.weight"]
    rows, _ = compare_gradients(torch_grads, {**port_grads, "fc.weight": grad.T * 1.01}, weight_map)
    assert not rows[0]["passed"] and rows[0]["rel"] == pytest.approx(0.01)
