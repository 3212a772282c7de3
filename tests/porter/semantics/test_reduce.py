"""The shared reduction reading: axes by opset and noop_with_empty_axes, the same on both targets."""

import numpy as np
import pytest

from porter.convert import generate
from porter.semantics.reduce import AXES_INPUT_SINCE, EMPTY_IDENTITY
from tests.op_maps.harness import NodeCase, build_model

TARGETS = ("paddle", "mindspore")
X = np.ones((2, 3, 4), np.float32)


def test_every_reduction_has_its_axes_rule_and_all_but_the_mean_an_identity():
    assert set(EMPTY_IDENTITY) == set(AXES_INPUT_SINCE) - {"ReduceMean"}


@pytest.mark.parametrize("target", TARGETS)
def test_axes_are_an_attribute_before_opset_18(target):
    case = NodeCase("r", "ReduceMax", {"x": X}, attrs={"axes": [1], "keepdims": 0}, opset=17)
    _, code = generate(build_model(case), target)
    call = {"paddle": "paddle.max(x, axis=[1], keepdim=False)", "mindspore": "ops.amax(x, axis=(1,), keepdims=False)"}
    assert call[target] in code


@pytest.mark.parametrize("target", TARGETS)
def test_noop_with_empty_axes_returns_the_input(target):
    case = NodeCase("r", "ReduceSum", {"x": X}, attrs={"noop_with_empty_axes": 1})
    _, code = generate(build_model(case), target)
    assert "y0 = x\n" in code
