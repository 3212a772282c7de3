import numpy as np
from onnx import helper

from porter.folding import NEVER_FOLD, fold_node


def test_random_ops_are_never_folded():
    assert {"RandomNormal", "RandomUniform", "Bernoulli", "Multinomial"} <= NEVER_FOLD


def test_a_node_on_constants_runs_once_in_the_reference():
    node = helper.make_node("Gemm", ["a", "b"], ["y"], transB=1)
    a, b = np.arange(6.0, dtype=np.float32).reshape(2, 3), np.ones((4, 3), np.float32)
    (y,) = fold_node(node, [a, b], {"": 17})
    np.testing.assert_array_equal(y, a @ b.T)


def test_what_the_reference_cannot_run_stays_a_run_time_op():
    node = helper.make_node("NoSuchOp", ["a"], ["y"])
    assert fold_node(node, [np.ones(2, np.float32)], {"": 17}) is None
