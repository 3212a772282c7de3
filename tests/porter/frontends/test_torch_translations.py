"""porter's own torch.onnx translations, and the train-mode export guard (porter/frontends/torch_translations.py).
torch runs in export subprocesses (export_spec) or a child python, never in the test process."""

import subprocess
import sys
from pathlib import Path

import onnx
import pytest

import porter
from porter.errors import UnsupportedOp
from porter.frontends.torch_source import export_spec

FACTORIES = Path(__file__).with_name("torch_factories.py")


def _batch_norms(model: onnx.ModelProto) -> list[onnx.NodeProto]:
    return [node for node in model.graph.node if node.op_type == "BatchNormalization"]


def test_train_export_keeps_batch_norm_with_batch_statistics_and_its_own_buffers():
    model, _ = export_spec(f"{FACTORIES}:batch_norm_cnn", training=True)
    norms = _batch_norms(model)
    assert len(norms) == 2
    for node, momentum in zip(norms, (0.8, 0.7)):
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        assert attrs["training_mode"] == 1 and attrs["momentum"] == pytest.approx(momentum)
    # not fused into the Conv/Gemm before them, and the fresh running statistics (zeros, ones) are not merged
    # with the equal bias and weight
    assert [list(node.input[1:]) for node in norms] == [
        [f"{m}.weight", f"{m}.bias", f"{m}.running_mean", f"{m}.running_var"] for m in ("bn", "bn1")
    ]


def test_an_eval_export_keeps_batch_norm_for_inference_under_torchs_names():
    model, _ = export_spec(f"{FACTORIES}:batch_norm_cnn")
    norms = _batch_norms(model)
    # as a hand port would: one inference-mode BatchNorm per module, not fused into the Conv/Gemm before it,
    # its running statistics torch's buffers (not merged with the equal fresh bias)
    assert len(norms) == 2 and not any(a.name == "training_mode" and a.i for node in norms for a in node.attribute)
    assert [list(node.input[1:]) for node in norms] == [
        [f"{m}.weight", f"{m}.bias", f"{m}.running_mean", f"{m}.running_var"] for m in ("bn", "bn1")
    ]


@pytest.mark.parametrize(
    ("target", "statistics"), [("paddle", ("_mean", "_variance")), ("mindspore", ("moving_mean", "moving_variance"))]
)
def test_an_eval_port_holds_torchs_batch_norm_tensors(tmp_path, target, statistics):
    result = porter.convert(f"{FACTORIES}:batch_norm_cnn", target, tmp_path / "out")
    places = {row["source"]: row["target"] for row in result.param_map}
    for module in ("bn", "bn1"):  # the statistics under the framework's own names (docs/structure.md)
        assert places[f"{module}.running_mean"] == f"{module}.{statistics[0]}"
        assert places[f"{module}.running_var"] == f"{module}.{statistics[1]}"
        assert {f"{module}.weight", f"{module}.bias"} <= set(places)
    code = (tmp_path / "out" / "model.py").read_text()
    assert code.count("nn.BatchNorm2") == 1 and code.count("nn.BatchNorm1") == 1


_UNGUARDED = """
import importlib.util, warnings
import torch
from porter.errors import PorterError
from porter.frontends.torch_translations import check_batch_norms, translation_table
warnings.simplefilter("ignore")
spec = importlib.util.spec_from_file_location("factories", {path!r})
mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
module, inputs = mod.batch_norm_cnn()
module.train()
program = torch.onnx.export(module, inputs, dynamo=True, custom_translation_table=translation_table())
try:
    check_batch_norms(module, program.model_proto)
except PorterError as exc:
    print("refused:", exc)
"""


def test_a_fused_train_mode_export_is_refused():
    # without porter's guard the exporter's optimizer folds the train-mode BatchNorms into Conv/Gemm
    proc = subprocess.run(
        [sys.executable, "-c", _UNGUARDED.format(path=str(FACTORIES))], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "refused: the train-mode export kept 0 training-mode BatchNormalization node(s) for 2" in proc.stdout
    assert "(bn, bn1)" in proc.stdout


def test_train_mode_batch_norm_is_refused_in_an_inference_port():
    model, _ = export_spec(f"{FACTORIES}:batch_norm_cnn", training=True)
    with pytest.raises(UnsupportedOp, match="training_mode=1"):
        porter.convert(model, "paddle")
