import math

import numpy as np
import onnx
from onnx import TensorProto, helper

from porter.validators.golden import golden_outputs, to_float64


def _model(nodes, inputs, outputs, opset=17):
    return helper.make_model(
        helper.make_graph(nodes, "g", inputs, outputs), opset_imports=[helper.make_opsetid("", opset)]
    )


def test_float_types_casts_and_constants_become_double():
    m = _model(
        [
            helper.make_node("Constant", [], ["c"], value=helper.make_tensor("c", TensorProto.FLOAT, [1], [0.1])),
            helper.make_node("Cast", ["x"], ["xf"], to=TensorProto.FLOAT),
            helper.make_node("Add", ["xf", "c"], ["y"]),
        ],
        [helper.make_tensor_value_info("x", TensorProto.INT64, [3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3])],
    )
    wide = to_float64(m)
    assert wide.graph.node[1].attribute[0].i == TensorProto.DOUBLE
    assert wide.graph.node[0].attribute[0].t.data_type == TensorProto.DOUBLE
    assert wide.graph.output[0].type.tensor_type.elem_type == TensorProto.DOUBLE
    assert m.graph.output[0].type.tensor_type.elem_type == TensorProto.FLOAT  # the source is untouched


def test_the_golden_sum_is_exact_where_float32_is_not():
    x = np.full((1, 100000), 0.1, dtype=np.float32)
    m = _model(
        [helper.make_node("ReduceSum", ["x"], ["y"], keepdims=0)],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 100000])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [])],
        opset=11,
    )
    golden, how = golden_outputs(m, [x])
    exact = math.fsum([float(np.float32(0.1))] * 100000)
    assert "float64" in how and golden["y"].dtype == np.float64
    assert abs(float(golden["y"]) - exact) < 1e-9
    assert abs(float(np.sum(x, dtype=np.float32)) - exact) > 1e-4  # what float32 accumulation gives


def test_intermediates_come_back_by_value_name():
    m = _model(
        [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Neg", ["r"], ["y"])],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])],
    )
    values, _ = golden_outputs(m, [np.array([-1, 2], np.float32)], intermediate=True)
    assert values["r"].tolist() == [0, 2] and values["y"].tolist() == [0, -2]


def test_no_golden_is_said_not_faked():
    m = _model(
        [helper.make_node("Relu", ["x"], ["y"])],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])],
    )
    del m.graph.node[0].input[:]  # an invalid graph: onnx.reference cannot run it
    golden, how = golden_outputs(onnx.ModelProto.FromString(m.SerializeToString()), [np.zeros(2, np.float32)])
    assert golden is None and how.startswith("no fp64 golden")


def test_legacy_opsets_are_lifted_before_onnx_reference_runs_them():
    # onnx.reference applies Softmax's newest default (axis=-1) to every opset: on opset 9 with a
    # [1, 4, 1, 1] input that is a softmax over one element (all 1.0); the golden must say 0.25
    m = _model(
        [helper.make_node("Softmax", ["x"], ["y"])],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 1, 1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 1, 1])],
        opset=9,
    )
    golden, how = golden_outputs(m, [np.ones((1, 4, 1, 1), np.float32)])
    assert np.allclose(golden["y"], 0.25) and "upgraded from opset 9" in how


def test_grid_sample_16_modes_get_a_golden():
    # torch.onnx exports GridSample at opset 18 with mode "bilinear"; onnx.reference reads only opset 20's
    # "linear". The golden must exist and agree with onnxruntime's float32 run of the original graph.
    import onnxruntime as ort

    m = _model(
        [helper.make_node("GridSample", ["x", "g"], ["y"], mode="bilinear", padding_mode="zeros", align_corners=0)],
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 5, 6]),
            helper.make_tensor_value_info("g", TensorProto.FLOAT, [1, 4, 3, 2]),
        ],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 4, 3])],
        opset=18,
    )
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 2, 5, 6)).astype(np.float32)
    g = rng.uniform(-1.1, 1.1, (1, 4, 3, 2)).astype(np.float32)
    golden, how = golden_outputs(m, [x, g])
    assert golden is not None, how
    (expected,) = ort.InferenceSession(m.SerializeToString()).run(None, {"x": x, "g": g})
    np.testing.assert_allclose(golden["y"], expected, atol=1e-5)
    assert helper.get_node_attr_value(m.graph.node[0], "mode") == b"bilinear"  # the caller's graph is kept
