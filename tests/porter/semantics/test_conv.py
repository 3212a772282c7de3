"""The shared Conv reading: attributes with auto_pad resolved, and when the parameters make a layer."""

import numpy as np
import pytest

from porter.convert import generate
from tests.op_maps.harness import NodeCase, build_model

TARGETS = ("paddle", "mindspore")
LAYER = {"paddle": "nn.Conv2D(", "mindspore": "nn.Conv2d("}
X = np.ones((1, 2, 5, 5), np.float32)
W = np.ones((4, 2, 3, 3), np.float32)


@pytest.mark.parametrize("target", TARGETS)
def test_constant_weights_make_a_layer_with_same_upper_pads(target):
    case = NodeCase("c", "Conv", {"x": X, "w": W}, attrs={"auto_pad": "SAME_UPPER"}, consts=("w",))
    _, code = generate(build_model(case), target)
    padding = {"paddle": "padding=[1, 1]", "mindspore": "padding=(1, 1, 1, 1)"}[target]
    assert LAYER[target] in code and padding in code


@pytest.mark.parametrize("target", TARGETS)
def test_a_run_time_bias_keeps_the_functional_form(target):
    case = NodeCase("c", "Conv", {"x": X, "w": W, "b": np.ones(4, np.float32)}, consts=("w",))
    _, code = generate(build_model(case), target)
    assert LAYER[target] not in code
