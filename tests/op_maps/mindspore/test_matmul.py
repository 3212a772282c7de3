import ml_dtypes
import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from porter.convert import generate, write_program
from porter.op_maps.mindspore._checkpoint import read_checkpoint
from porter.validators.tolerances import tolerance_for
from tests.op_maps.cases.matmul import CASES
from tests.op_maps.harness import check, run_target


@pytest.mark.parametrize("case", CASES, ids=str)
def test_matmul(case):
    check(case, "mindspore")


def test_a_bfloat16_linear_with_bias_holds_bfloat16_weights_and_rounds_once(tmp_path):
    """torch's bfloat16 Linear split in two (MatMul by a constant [in, out] weight, Add of a constant bias):
    a WidenedDense whose weights stay bfloat16 in the layer and the .ckpt, computed in float32 with the bias
    added before the one rounding (MindSpore's CPU has no bfloat16 MatMul)."""
    bf16 = ml_dtypes.bfloat16
    rng = np.random.default_rng(3)
    w = rng.standard_normal((8, 5)).astype(bf16)
    w[:, 0] = 0
    w[:2, 0] = [128, 129]  # [1, 1, 0, ...] @ w[:, 0] = 257 exactly in float32, a tie bfloat16 rounds to 256
    b = rng.standard_normal(5).astype(bf16)
    b[0] = 0.75  # 257.75 rounded once is 258; rounded after the product and again after the bias, 256
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["h"]), helper.make_node("Add", ["h", "b"], ["y"])],
        "linear_bf16",
        [helper.make_tensor_value_info("x", TensorProto.BFLOAT16, [2, 3, 8])],
        [helper.make_tensor_value_info("y", TensorProto.BFLOAT16, [2, 3, 5])],
        initializer=[numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 10
    program, code = generate(model, "mindspore")
    assert "WidenedDense(8, 5, has_bias=True" in code and "dtype=mindspore.bfloat16" in code
    write_program(program, code, tmp_path)
    weights = read_checkpoint(str(tmp_path / "model.ckpt"))
    assert {k: v.dtype for k, v in weights.items()} == {k: np.dtype(bf16) for k in weights} and len(weights) == 2

    x = rng.standard_normal((2, 3, 8)).astype(bf16)
    x[0, 0] = [1, 1, 0, 0, 0, 0, 0, 0]
    (y,), (again,) = run_target(model, "mindspore", [[x], [x[::-1].copy()]])
    assert y.dtype == bf16 and float(y[0, 0, 0]) == 258.0
    tol = tolerance_for("bfloat16")
    for got, inp in ((y, x), (again, x[::-1])):
        golden = inp.astype(np.float64) @ w.astype(np.float64) + b.astype(np.float64)
        np.testing.assert_allclose(got.astype(np.float64), golden, rtol=tol.rtol, atol=tol.atol)
