"""examples/plugins/: a model with a custom op converts on both targets once its plugin is given, matches the
fp64 reference, and is refused with a pointer to the extension point without it."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest

from examples.plugins.make_fused_bias_gelu import MODEL, build, reference

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "plugins"
PLUGIN = EXAMPLES / "fused_bias_gelu_plugin.py"
TORCH_MODEL = f"{EXAMPLES / 'torch_custom_op.py'}:make"
TARGETS = ["paddle", "mindspore"]


def porter_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "porter.cli", *map(str, args)], capture_output=True, text=True, timeout=600
    )


def run_port(target: str, out: Path, features: np.ndarray) -> np.ndarray:
    """The generated model's output, run by the target alone in its own process (porter's runner)."""
    np.savez(out.parent / "inputs.npz", input_0=features)
    subprocess.run(
        [sys.executable, "-m", "porter.validators.runners", "target", target, out, out.parent / "inputs.npz",
         out.parent / "outputs.npz"],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    with np.load(out.parent / "outputs.npz", allow_pickle=False) as data:
        return data["output_0"]


def test_the_shipped_model_is_what_the_script_builds():
    assert onnx.load(MODEL).SerializeToString() == build().SerializeToString()


@pytest.mark.parametrize("target", TARGETS)
def test_without_the_plugin_the_custom_op_is_refused_with_the_pointer(tmp_path, target):
    proc = porter_cli("convert", MODEL, "--to", target, "-o", tmp_path / "out")
    assert proc.returncode == 2, proc.stderr
    assert "node 'act' (FusedBiasGelu)" in proc.stderr and "domain 'com.example'" in proc.stderr
    assert "--plugin FILE.py" in proc.stderr and "docs/plugins.md" in proc.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("approximate", ["tanh", "none"])
@pytest.mark.parametrize("target", TARGETS)
def test_with_the_plugin_it_converts_and_matches_the_fp64_reference(tmp_path, target, approximate):
    onnx.save(build(approximate), tmp_path / "model.onnx")
    proc = porter_cli("convert", tmp_path / "model.onnx", "--to", target, "-o", tmp_path / "out", "--plugin", PLUGIN)
    assert proc.returncode == 0, proc.stderr
    code = (tmp_path / "out" / "model.py").read_text()
    assert "gelu(" in code and "porter" not in code.split("\n", 1)[1]  # standalone: no porter import
    rng = np.random.default_rng(1)
    for batch in (1, 5):  # two shapes of the symbolic batch dim
        features = rng.standard_normal((batch, 8)).astype(np.float32) * 2
        got = run_port(target, tmp_path / "out", features)
        np.testing.assert_allclose(got, reference(features, approximate), rtol=1e-5, atol=1e-5)


def test_an_approximation_the_plugin_does_not_know_is_refused(tmp_path):
    model = build("fast")
    onnx.save(model, tmp_path / "model.onnx")
    proc = porter_cli("convert", tmp_path / "model.onnx", "-o", tmp_path / "out", "--plugin", PLUGIN)
    assert proc.returncode == 2 and "approximate='fast' is not one of none, tanh" in proc.stderr


def test_the_torch_custom_op_needs_the_plugin_translation(tmp_path):
    proc = porter_cli("convert", TORCH_MODEL, "-o", tmp_path / "out")
    assert proc.returncode == 2, proc.stderr
    assert "porter_example::fused_bias_gelu.default can come from a plugin" in proc.stderr
    assert "docs/plugins.md" in proc.stderr


@pytest.mark.parametrize("target", TARGETS)
def test_the_torch_custom_op_converts_and_validates_against_pytorch(tmp_path, target):
    out = tmp_path / "out"
    proc = porter_cli("convert", TORCH_MODEL, "--to", target, "-o", out, "--plugin", PLUGIN, "--validate")
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert f"validate: PASS ({target} on cpu)" in proc.stdout + proc.stderr
    assert "FusedBiasGelu" in proc.stdout  # the custom op reached the port as one node, not decomposed
