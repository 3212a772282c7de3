import json
import subprocess
import sys
from pathlib import Path

import pytest

from porter.errors import InvalidModel, PorterError
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


_TRAIN_MODE = {
    "paddle": """
import importlib.util, numpy as np, paddle
spec = importlib.util.spec_from_file_location("port", {path!r})
mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
model = mod.load_model()
ids = paddle.to_tensor(np.arange(12).reshape(2, 6) % 50, dtype="int64")
evals = [model(ids).numpy() for _ in range(2)]
model.train()
trains = [model(ids).numpy() for _ in range(2)]
print(float(abs(evals[0] - evals[1]).max()), float(abs(trains[0] - trains[1]).max()))
""",
    "mindspore": """
import importlib.util, sys, numpy as np, mindspore
spec = importlib.util.spec_from_file_location("port", {path!r})
mod = importlib.util.module_from_spec(spec); sys.modules["port"] = mod; spec.loader.exec_module(mod)
model = mod.load_model()
ids = mindspore.Tensor(np.arange(12).reshape(2, 6) % 50, mindspore.int64)
evals = [model(ids).asnumpy() for _ in range(2)]
model.set_train(True)
trains = [model(ids).asnumpy() for _ in range(2)]
print(float(abs(evals[0] - evals[1]).max()), float(abs(trains[0] - trains[1]).max()))
""",
}


@pytest.mark.parametrize("target", ["paddle", "mindspore"])
def test_train_export_keeps_dropout_switched_by_train_mode(tmp_path, target):
    import porter

    out = tmp_path / "out"
    porter.convert(f"{FACTORIES}:tiny_encoder", target, out, dynamic=["batch", "seq"], training=True)
    code = (out / "model.py").read_text()
    assert "dropout(" in code and "p=0.25, training=self.training" in code
    proc = subprocess.run(
        [sys.executable, "-c", _TRAIN_MODE[target].format(path=str(out / "model.py"))],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    eval_diff, train_diff = map(float, proc.stdout.split()[-2:])
    assert eval_diff == 0.0 and train_diff > 0.0  # eval is deterministic; train mode draws new masks
    from porter.validators.validate import validate

    assert validate(out)["passed"]  # in eval mode the port matches PyTorch


def test_dropout_in_training_mode_is_refused_without_train(tmp_path):
    import porter
    from porter.errors import UnsupportedOp

    model, _ = export_spec(f"{FACTORIES}:tiny_encoder", training=True)
    with pytest.raises(UnsupportedOp, match="training_mode"):
        porter.convert(model, "paddle")


def test_a_train_mode_forward_torch_export_cannot_capture_is_refused_not_traced_in_eval_mode():
    # the TorchScript fallback would export the eval-mode graph: the Dropout of a port meant to train lost
    with pytest.raises(PorterError, match="torch.export could not capture the train-mode forward of LayerDrop"):
        export_spec(f"{FACTORIES}:layer_drop", training=True)
    model, info = export_spec(f"{FACTORIES}:layer_drop")  # eval mode never takes the branch
    assert info["exporter"] == "dynamo" and [n.op_type for n in model.graph.node] == ["Gemm"]


def test_keyword_inputs_become_named_inputs_and_validate_against_pytorch(tmp_path):
    import porter
    from porter.validators.validate import validate

    out = tmp_path / "out"
    porter.convert(f"{FACTORIES}:keyword_inputs", "paddle", out, dynamic=["batch", "seq"])
    code = (out / "model.py").read_text()
    assert "def forward(self, input_ids, attention_mask):" in code
    assert "# Inputs: input_ids int64 [batch, seq]; attention_mask int64 [batch, seq]" in code
    assert validate(out)["passed"]


def test_a_misspelt_factory_lists_the_callables_the_file_defines():
    with pytest.raises(InvalidModel, match=r"'mkae' is not a callable .*did you mean 'make'\? it defines: .*block"):
        export_spec(f"{FACTORIES}:mkae")


def test_each_input_takes_its_own_dynamic_axes(tmp_path):
    from porter.validators.validate import validate

    dims = ["ids:batch,seq", "pixels:batch,_,height,width"]
    model, _ = export_spec(f"{FACTORIES}:text_and_image", dynamic=dims)
    shapes = [[d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim] for i in model.graph.input]
    assert shapes == [["batch", "seq"], ["batch", 3, "height", "width"]]
    out = tmp_path / "out"
    cli = [sys.executable, "-m", "porter.cli", "convert", f"{FACTORIES}:text_and_image", "--to", "paddle", "-o", out]
    subprocess.run(cli + ["--dynamic", dims[0], "--dynamic", dims[1]], check=True, capture_output=True)
    assert (
        "# Inputs: ids int64 [batch, seq]; pixels float32 [batch, 3, height, width]" in (out / "model.py").read_text()
    )
    assert validate(out)["passed"]


@pytest.mark.parametrize(
    "dims, message",
    [
        (["ids:batch,se q"], "'se q' is not a dim name"),
        (["no-such:batch"], "'no-such' is not an input name"),
        (["image:batch"], "'image', which is not an input of TextAndImage \\(its inputs: ids, pixels\\)"),
    ],
)
def test_bad_dynamic_axes_are_clear_errors(dims, message):
    from porter.errors import PorterError

    with pytest.raises(PorterError, match=message):
        export_spec(f"{FACTORIES}:text_and_image", dynamic=dims)
