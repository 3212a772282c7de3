import json
import subprocess
import sys
from pathlib import Path

import pytest

from porter.errors import InvalidModel
from porter.frontends.torch_source import export_spec, is_torch_spec

FACTORIES = Path(__file__).with_name("torch_factories.py")


def test_is_torch_spec():
    assert is_torch_spec("pkg.mod:make") and is_torch_spec("some/file.py:make")
    assert not is_torch_spec("model.onnx") and not is_torch_spec("C:")


def test_export_keeps_state_dict_names_and_symbolic_batch():
    model, info = export_spec(f"{FACTORIES}:make", dynamic=["batch"])
    assert info["exporter"] == "dynamo" and info["class_name"] == "Scale"
    assert {i.name for i in model.graph.initializer} == {"weight", "shift"}
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"


@pytest.mark.parametrize(
    "factory, message",
    [
        ("broken", "the factory raised ValueError: no weights here"),
        ("wrong", "must return an nn.Module"),
        ("module_only", "no example inputs"),
        ("absent", "not a callable"),
    ],
)
def test_bad_factories_are_clear_errors(factory, message):
    with pytest.raises(InvalidModel, match=message):
        export_spec(f"{FACTORIES}:{factory}")


def test_cli_converts_a_factory_and_validates(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "porter.cli",
            "convert",
            f"{FACTORIES}:make",
            "-o",
            str(out),
            "--dynamic",
            "batch",
            "--validate",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "validate: PASS" in proc.stdout
    code = (out / "model.py").read_text()
    assert "class Scale(nn.Layer)" in code and "self.shift = self.create_parameter([8]" in code
    assert "# Inputs: x float32 [batch, 4, 8]" in code
    assert json.loads((out / "report.json").read_text())["export"]["exporter"] == "dynamo"
    assert (out / "source.onnx").exists()


def test_a_misspelt_factory_lists_the_callables_the_file_defines():
    with pytest.raises(InvalidModel, match=r"'mkae' is not a callable .*did you mean 'make'\? it defines: .*block"):
        export_spec(f"{FACTORIES}:mkae")
