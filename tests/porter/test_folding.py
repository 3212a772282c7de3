from pathlib import Path

import numpy as np
import pytest
from onnx import helper

from porter.folding import NEVER_FOLD, fold_node, reads_trainable

FACTORIES = Path(__file__).parent / "frontends" / "torch_factories.py"


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


def test_a_node_reading_a_trainable_parameter_is_kept():
    assert reads_trainable(["layers.0.experts", "perm"], {"layers.0.experts"})
    assert not reads_trainable(["rotary.inv_freq", None], {"layers.0.experts"})  # a buffer folds
    assert not reads_trainable(["layers.0.experts"], None)  # a source that does not say


@pytest.mark.parametrize("target", ["paddle", "mindspore"])
def test_every_port_keeps_the_parameters_a_computation_reads(tmp_path, target):
    """The expert bank's transpose and weight_norm's g * v / |v| stay run-time ops in an inference port too:
    folded, their parameters (and torch's keys for them) would be lost."""
    import porter
    from porter.validators.train import validate_training

    spec = f"{FACTORIES}:derived_weights"
    plain = porter.convert(spec, target, tmp_path / "eval", dynamic=["batch", "seq"])
    train = porter.convert(spec, target, tmp_path / "train", dynamic=["batch", "seq"], training=True)
    kept = {"experts", "conv.bias", "conv.parametrizations.weight.original0", "conv.parametrizations.weight.original1"}
    for port in (plain, train):
        assert kept <= {row["source"] for row in port.param_map}
        assert kept <= {row["target"] for row in port.param_map}
    result = validate_training(tmp_path / "train", steps=3)
    # every torch parameter has a gradient in the port (weight_g, weight_v and the expert bank included)
    assert result["passed"] and not result["unmapped"] and len(result["gradients"]) == 4, result
