import json
import subprocess
import sys

import onnx
from onnx import TensorProto, helper

from porter.inspect import inspect_model, module_path


def _model_with_custom_op():
    nodes = [
        helper.make_node("Abs", ["x"], ["a"], name="/encoder/layer.0/Abs"),
        helper.make_node("FusedGelu", ["a"], ["b"], name="/encoder/layer.0/mlp/FusedGelu", domain="com.example"),
        helper.make_node("Neg", ["b"], ["y"], name="/head/Neg"),
    ]
    graph = helper.make_graph(
        nodes,
        "custom",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)])
    model.ir_version = 8
    return model


def test_module_path_from_node_name():
    assert module_path(helper.make_node("Abs", ["x"], ["y"], name="/encoder/layer.0/Abs")) == "encoder.layer.0"
    assert module_path(helper.make_node("Abs", ["x"], ["y"], name="node_abs")) == ""


def test_inspect_lists_every_blocker_and_keeps_going():
    report = inspect_model(_model_with_custom_op(), "paddle")
    assert not report["convertible"]
    (problem,) = report["problems"]
    assert problem["op_type"] == "FusedGelu" and problem["module"] == "encoder.layer.0.mlp"
    mapped = {r["op_type"]: r["mapping"] for r in report["ops"]}
    assert mapped["Abs"] == "elementwise.abs" and mapped["Neg"] == "elementwise.neg"
    assert mapped["FusedGelu"] == "REFUSED"
    assert report["dynamic_dims"] == ["batch"]


def test_inspect_cli_exit_codes(tmp_path):
    bad = tmp_path / "bad.onnx"
    onnx.save(_model_with_custom_op(), bad)
    proc = subprocess.run(
        [sys.executable, "-m", "porter.cli", "inspect", str(bad), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["problems"][0]["module"] == "encoder.layer.0.mlp"


def test_inspect_a_pytorch_model_names_the_unsupported_op_and_its_module(tmp_path):
    from tests.porter.frontends.test_torch_source import FACTORIES
    from tests.porter.test_cli import porter_cli

    proc = porter_cli("inspect", f"{FACTORIES}:with_warp", "--to", "paddle", "--format", "json")
    assert proc.returncode == 2, proc.stderr
    report = json.loads(proc.stdout)
    (problem,) = report["problems"]
    assert problem["op_type"] == "GridSample" and problem["module"] == "warp"


def test_inspect_reports_the_ops_convert_maps_after_the_graph_passes(tmp_path):
    # an erf GELU is fused into Gelu before lowering: inspect lists Gelu, as convert maps it, not Erf/Div/Mul
    from tests.porter.passes.test_fusion_activation import gelu_erf

    path = tmp_path / "gelu.onnx"
    onnx.save(gelu_erf(), path)
    ops = {row["op_type"] for row in inspect_model(str(path), "paddle")["ops"]}
    assert "Gelu" in ops and not ops & {"Erf", "Div", "Mul"}, ops
