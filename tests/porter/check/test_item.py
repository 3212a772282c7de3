"""One work item: convert + validate, boiled down to status, reason, divergent node and figures."""

import os

import onnx
from onnx import TensorProto

from porter.check.item import CONVERSION_ERROR, FAILED, PASSED, run_item, summarize
from tests.models import single_node


def payload(tmp_path, source, **extra):
    return {"id": "m/paddle/cpu", "root": str(tmp_path), "model": "m", "source": source, "against": None,
            "target": "paddle", "device": "cpu", "profile": None, "dynamic": [], "inputs": [], "seed": 0, **extra}  # fmt: skip


def test_unsupported_op_is_a_conversion_error_naming_the_node(tmp_path):
    onnx.save(
        single_node("Add", {"a": TensorProto.UINT32, "b": TensorProto.UINT32}, {"y": TensorProto.UINT32}),
        tmp_path / "u.onnx",
    )
    before = os.getcwd()
    result = run_item(payload(tmp_path, "u.onnx"))
    assert os.getcwd() == before  # the item ran from the config's folder, and left the caller's cwd alone
    assert result["status"] == CONVERSION_ERROR
    assert "uint32" in result["reason"] and "node" in result["reason"]


def report(passed, outputs, layerwise=None):
    return {"passed": passed, "profile": {"name": "cpu"}, "layerwise": layerwise,
            "sets": [{"label": "random (seed 0)", "passed": passed, "outputs": outputs}]}  # fmt: skip


def output(name, max_abs, passed=True):
    return {"name": name, "passed": passed, "reason": f"max abs {max_abs}", "dtype": "float32", "source_max_abs": 4.0,
            "metrics": {"max_abs": max_abs, "mean_abs": max_abs / 10},
            "bounds": {"golden_ratio": {"mare": 5.0, "mere": 1.5, "rmse": 1.5}}}  # fmt: skip


def test_summary_of_a_pass_keeps_figures_slack_and_floor():
    summary = summarize(report(True, [output("y", 1e-7)]))
    assert summary["status"] == PASSED and summary["first_divergent"] is None
    row = summary["figures"]["y"]
    assert row["max_abs"] == 1e-7 and row["slack"] == {"max_abs": 5.0, "mean_abs": 1.5}
    assert row["floor"] == 8 * 2.0**-23 * 4.0  # 8 ulps at the output's magnitude


def test_summary_of_a_failure_names_output_set_and_first_kernel_error():
    layerwise = {"first_kernel_error": {"node": "fc2.matmul", "op_type": "MatMul", "value": "v", "var": "x"},
                 "first_divergence": None, "conclusion": "kernel error: fc2.matmul"}  # fmt: skip
    summary = summarize(report(False, [output("y", 1e-7), output("z", 0.5, passed=False)], layerwise))
    assert summary["status"] == FAILED
    assert summary["reason"] == "output 'z' on random (seed 0): max abs 0.5"
    assert summary["first_divergent"]["node"] == "fc2.matmul" and summary["first_divergent"]["kind"] == "kernel error"
