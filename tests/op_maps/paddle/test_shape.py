import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from porter.convert import convert
from tests.op_maps.cases.shape import CASES
from tests.op_maps.harness import assert_matches_onnxruntime, check


@pytest.mark.parametrize("case", CASES, ids=str)
def test_shape(case):
    check(case, "paddle")


def test_a_reshape_of_a_view_copies_it_first_and_compiles(tmp_path):
    """Paddle's transpose returns a view; reshaping it first copies it (.contiguous(): Paddle's matmul
    copies a reshaped view element by element, ~14x slower, measured). The numbers are the same, and the
    code still compiles under paddle.jit.to_static and exports (`--export inference`)."""
    graph = helper.make_graph(
        [
            helper.make_node("Transpose", ["x"], ["t"], perm=[1, 0, 2]),
            helper.make_node("Reshape", ["t", "shape"], ["r"]),
            helper.make_node("MatMul", ["r", "r"], ["y"]),
        ],
        "view_reshape",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 2, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 4, 4])],
        initializer=[numpy_helper.from_array(np.array([1, 2, 4, 4], np.int64), "shape")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 10
    onnx.save(model, tmp_path / "source.onnx")
    result = convert(tmp_path / "source.onnx", "paddle", tmp_path / "out", export="inference")
    assert "paddle.reshape(t.contiguous(), [1, 2, 4, 4])" in result.code, result.code
    assert all(check["passed"] for check in result.export["checks"]), result.export["checks"]
    assert_matches_onnxruntime(model, "paddle", (4, 2, 4))
