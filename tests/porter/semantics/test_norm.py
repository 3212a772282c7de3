"""The shared normalization readings: ONNX's rules and refusals, the same on both targets."""

import numpy as np
import pytest

from porter.convert import generate
from porter.errors import UnsupportedOp
from tests.op_maps.harness import NodeCase, build_model

TARGETS = ("paddle", "mindspore")
X = np.ones((2, 3, 4), np.float32)
S = np.ones(4, np.float32)


@pytest.mark.parametrize("target", TARGETS)
def test_statistics_other_than_float32_are_refused(target):
    case = NodeCase("ln", "LayerNormalization", {"x": X, "s": S, "b": S}, attrs={"stash_type": 0}, consts=("s", "b"))
    with pytest.raises(UnsupportedOp, match="stash_type=0 is not supported"):
        generate(build_model(case), target)


@pytest.mark.parametrize("target", TARGETS)
def test_lp_normalization_defines_only_p_1_and_2(target):
    with pytest.raises(UnsupportedOp, match="p=3: ONNX defines only p=1 and p=2"):
        generate(build_model(NodeCase("lp", "LpNormalization", {"x": X}, attrs={"p": 3})), target)


@pytest.mark.parametrize("target", TARGETS)
def test_layer_norm_axis_counts_from_the_end(target):
    # axis=-1 of a rank-3 input is axis 2: the functional form is told the non-negative axis
    case = NodeCase("ln", "LayerNormalization", {"x": X, "s": S}, attrs={"axis": -1}, n_outputs=2)
    _, code = generate(build_model(case), target)
    assert ", 2, 1e-05)" in code


@pytest.mark.parametrize("target", TARGETS)
def test_mean_variance_normalization_defaults_to_axes_0_2_3(target):
    x = np.ones((2, 3, 4, 5), np.float32)
    _, code = generate(build_model(NodeCase("mvn", "MeanVarianceNormalization", {"x": x})), target)
    assert "0, 2, 3" in code
