import json

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from porter.convert import convert
from porter.errors import PorterError
from porter.validators.validate import validate
from tests.op_maps.cases.matmul import CASES
from tests.op_maps.harness import check


@pytest.mark.parametrize("case", CASES, ids=str)
def test_matmul(case):
    check(case, "paddle")


def _gemm_by_torch_layout_weight(path):
    """y = x @ w.T + b with w [out 4, in 8]: torch's Linear as an ONNX Gemm (transB=1)."""
    rng = np.random.default_rng(0)
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["x", "w", "b"], ["y"], transB=1)],
        "gemm",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4])],
        initializer=[
            numpy_helper.from_array(rng.standard_normal((4, 8)).astype(np.float32), "w"),
            numpy_helper.from_array(rng.standard_normal(4).astype(np.float32), "b"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 10
    onnx.save(model, path)


@pytest.mark.parametrize("layout", ["source", "framework"])
def test_linear_layout_chooses_the_layer_and_the_layout_it_holds(tmp_path, layout):
    """source (default): paddle.compat.nn.Linear holds w as it is ([out, in]); framework: nn.Linear holds it
    [in, out], written transposed, and report.json says so (`porter weights` applies it). Both match
    onnxruntime."""
    _gemm_by_torch_layout_weight(tmp_path / "gemm.onnx")
    result = convert(tmp_path / "gemm.onnx", "paddle", tmp_path / "out", linear_layout=layout)
    layer = "paddle.compat.nn.Linear(8, 4)" if layout == "source" else "nn.Linear(8, 4)"
    assert layer in result.code and ("compat" in result.code) == (layout == "source"), result.code
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["linear_layout"] == layout
    (weight,) = [p for p in report["parameters"] if p["source"] == "w"]
    assert weight["transform"] == (None if layout == "source" else "transpose")
    with np.load(tmp_path / "out" / "model.npz") as weights:
        assert weights[weight["target"]].shape == ((4, 8) if layout == "source" else (8, 4))
    verdict = validate(tmp_path / "out", tmp_path / "gemm.onnx")
    assert verdict["passed"], verdict


def test_an_unknown_linear_layout_is_refused(tmp_path):
    _gemm_by_torch_layout_weight(tmp_path / "gemm.onnx")
    with pytest.raises(PorterError, match="linear_layout 'paddle'"):
        convert(tmp_path / "gemm.onnx", "paddle", tmp_path / "out", linear_layout="paddle")
    assert not (tmp_path / "out").exists()
