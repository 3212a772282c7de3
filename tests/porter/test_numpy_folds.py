"""The numpy folds give what onnx.reference gives, node for node: same values, dtype and shape, and None
(the node stays a run-time op) exactly where the reference cannot run it."""

import numpy as np
import pytest
from onnx import helper

from porter.folding import _numpy_fold, _reference_fold, fold_node
from porter.numpy_folds import FOLDS
from porter.registry import schema_versions

F = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
V = np.arange(5, dtype=np.float32)


def i64(*values):
    return np.array(values, dtype=np.int64)


# (opset, op_type, inputs, attributes): runnable forms, then forms the reference refuses
CASES = [
    (9, "Unsqueeze", [V], {"axes": [1, 2]}),  # densenet121's BatchNorm parameters
    (11, "Unsqueeze", [V], {"axes": [-1]}),
    (11, "Unsqueeze", [V], {"axes": [0, 0]}),
    (13, "Unsqueeze", [V, i64(0, -1)], {}),
    (13, "Unsqueeze", [np.array(2.0), i64(0)], {}),
    (21, "Unsqueeze", [F, np.array(1, dtype=np.int64)], {}),
    (11, "Squeeze", [F[:1]], {"axes": [0]}),
    (11, "Squeeze", [F[:, :1]], {}),
    (13, "Squeeze", [F[:1, :, :1], i64(2, 0)], {}),
    (13, "Squeeze", [F[:1]], {}),
    (9, "Reshape", [F, i64(0, -1)], {}),
    (13, "Reshape", [F, i64(4, 0, 2)], {}),
    (14, "Reshape", [np.zeros((0, 3), np.float32), i64(0, 3)], {"allowzero": 1}),
    (14, "Reshape", [F, i64(0, 12)], {"allowzero": 0}),
    (9, "Shape", [F], {}),
    (15, "Shape", [F], {"start": 1}),
    (15, "Shape", [F], {"start": -2, "end": -1}),
    (15, "Shape", [F], {"end": 10}),
    (9, "Concat", [i64(1, 2), i64(3)], {"axis": 0}),
    (13, "Concat", [F, F[:, :1], F[:, 2:]], {"axis": -2}),
    (13, "Concat", [V, np.arange(2, dtype=np.int64)], {"axis": 0}),
    (9, "Gather", [F, i64(2, -1)], {"axis": 1}),
    (13, "Gather", [i64(7, 8, 9), np.array(-1, dtype=np.int64)], {}),
    (13, "Gather", [F, np.array([[0, 1]], dtype=np.int32)], {"axis": -1}),
    (13, "Gather", [F[:, ::2], i64(1, 0)], {"axis": 1}),  # a non-contiguous input
]
REFUSED = [
    (11, "Unsqueeze", [V], {"axes": [5]}),
    (13, "Unsqueeze", [V, i64(3)], {}),
    (13, "Squeeze", [F, i64(0)], {}),  # dim 0 is not 1
    (9, "Reshape", [F, i64(5, -1)], {}),
    (9, "Reshape", [F, i64(2, 3, 4, 0)], {}),  # a 0 past the input's rank
    (13, "Concat", [F, F], {"axis": 3}),
    (13, "Concat", [np.array(1.0, dtype=np.float32)], {"axis": 0}),
    (13, "Gather", [V, i64(5)], {}),
]


def _node(op_type, inputs, attrs):
    return helper.make_node(op_type, [f"x{i}" for i in range(len(inputs))], ["y"], **attrs)


@pytest.mark.parametrize("opset, op_type, inputs, attrs", CASES)
def test_a_numpy_fold_is_the_references_result(opset, op_type, inputs, attrs):
    node = _node(op_type, inputs, attrs)
    (expected,) = _reference_fold(node, inputs, {"": opset})
    got = _numpy_fold(node, inputs, {"": opset})
    assert got is not None, "this form is one numpy folds"
    assert (got.dtype, got.shape) == (expected.dtype, expected.shape)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("opset, op_type, inputs, attrs", REFUSED)
def test_what_the_reference_refuses_stays_a_run_time_op(opset, op_type, inputs, attrs):
    node = _node(op_type, inputs, attrs)
    assert _reference_fold(node, inputs, {"": opset}) is None
    assert _numpy_fold(node, inputs, {"": opset}) is None
    assert fold_node(node, inputs, {"": opset}) is None


def test_forms_outside_the_table_go_to_the_reference():
    extra = helper.make_node("Unsqueeze", ["x", "axes"], ["y"], foo=1)  # an attribute the schema lacks
    assert _numpy_fold(extra, [V, i64(0)], {"": 13}) is None
    old = helper.make_node("Reshape", ["x"], ["y"], shape=[5, 1])  # Reshape-1: the shape as an attribute
    assert _numpy_fold(old, [V], {"": 1}) is None
    custom = helper.make_node("Unsqueeze", ["x"], ["y"], domain="com.example", axes=[0])
    assert _numpy_fold(custom, [V], {"": 9, "com.example": 1}) is None
    (gemm,) = fold_node(helper.make_node("Gemm", ["a", "b"], ["y"]), [F[0], F[0].T], {"": 13})  # not a numpy fold
    np.testing.assert_array_equal(gemm, F[0] @ F[0].T)


def test_every_version_in_the_table_is_a_schema_version():
    for op_type, since in FOLDS:
        assert since in schema_versions(op_type), (op_type, since)
