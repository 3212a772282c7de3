import ml_dtypes
import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from porter.convert import generate
from porter.validators.tolerances import tolerance_for
from tests.op_maps.cases.elementwise import CASES
from tests.op_maps.harness import check, run_target


@pytest.mark.parametrize("case", CASES, ids=str)
def test_elementwise(case):
    check(case, "mindspore")


def test_a_bfloat16_decoder_chain_matches_the_reference_op_by_op():
    """The bfloat16 ops of a decoder block: native where MindSpore's CPU kernels take bfloat16 (Add, Mul, Div,
    Neg), through float32 and rounded back once elsewhere (Sub, Sigmoid and the Swish it fuses into, Sqrt,
    Abs, Max, Where, Gather, a MatMul of two activations, Softmax). The reference computes each op in float64 and
    rounds it to bfloat16, as a native kernel would."""
    bf16 = ml_dtypes.bfloat16
    rng = np.random.default_rng(4)
    a, b = (rng.standard_normal((2, 3, 4)).astype(bf16) for _ in range(2))
    table = rng.standard_normal((6, 4)).astype(bf16)
    ids = np.array([[5, 0, -1]], np.int64)
    two, fill = np.array(2.0, bf16), np.array(-3.0, bf16)
    nodes = [
        ("Add", ["a", "b"], "t1"),
        ("Sub", ["t1", "a"], "t2"),  # GRAPH_MODE's Sub has no bfloat16 kernel
        ("Mul", ["t2", "a"], "t3"),
        ("Neg", ["t3"], "t4"),
        ("Sigmoid", ["t4"], "t5"),
        ("Mul", ["t4", "t5"], "t6"),  # Swish, fused
        ("Abs", ["t6"], "t7"),
        ("Sqrt", ["t7"], "t8"),
        ("Div", ["t8", "two"], "t9"),
        ("Max", ["t9", "b"], "t10"),
        ("Greater", ["a", "b"], "c"),
        ("Where", ["c", "t10", "fill"], "t11"),
        ("Gather", ["table", "ids"], "g"),  # [1, 3, 4]
        ("Add", ["t11", "g"], "t12"),
        ("Transpose", ["t12"], "t12t"),
        ("MatMul", ["t12", "t12t"], "s"),
        ("Softmax", ["s"], "y"),
    ]
    graph = helper.make_graph(
        [
            helper.make_node(op, inputs, [out], **({"perm": [0, 2, 1]} if op == "Transpose" else {}))
            for op, inputs, out in nodes
        ],
        "chain_bf16",
        [
            helper.make_tensor_value_info("a", TensorProto.BFLOAT16, [2, 3, 4]),
            helper.make_tensor_value_info("b", TensorProto.BFLOAT16, [2, 3, 4]),
            helper.make_tensor_value_info("ids", TensorProto.INT64, [1, 3]),
        ],
        [helper.make_tensor_value_info("y", TensorProto.BFLOAT16, [2, 3, 3])],
        initializer=[
            numpy_helper.from_array(table, "table"),
            numpy_helper.from_array(two, "two"),
            numpy_helper.from_array(fill, "fill"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 10
    _, code = generate(model, "mindspore")
    assert "WidenedDense" not in code and "ops.cast(ops.sigmoid(" not in code  # the fused Swish rounds once

    def reference(a, b, ids):
        def r(v):  # one op's float64 result, rounded as a bfloat16 kernel rounds it
            return np.asarray(v, np.float64).astype(bf16).astype(np.float64)

        a, b = a.astype(np.float64), b.astype(np.float64)
        t4 = r(-r(r(r(a + b) - a) * a))
        t6 = r(t4 / (1 + np.exp(-t4)))
        t10 = r(np.maximum(r(r(np.sqrt(r(np.abs(t6)))) / 2), b))
        t12 = r(np.where(a > b, t10, -3.0) + np.take(table.astype(np.float64), ids, axis=0))
        s = r(t12 @ t12.transpose(0, 2, 1))
        e = np.exp(s - s.max(-1, keepdims=True))
        return r(e / e.sum(-1, keepdims=True)).astype(bf16)

    again = [rng.standard_normal((2, 3, 4)).astype(bf16) for _ in range(2)] + [np.array([[1, 2, 3]], np.int64)]
    tol = tolerance_for("bfloat16")
    calls = [[a, b, ids], again]
    for call, (y,) in zip(calls, run_target(model, "mindspore", calls)):
        assert y.dtype == bf16
        expected = reference(*call).astype(np.float64)
        np.testing.assert_allclose(y.astype(np.float64), expected, rtol=tol.rtol, atol=tol.atol)
