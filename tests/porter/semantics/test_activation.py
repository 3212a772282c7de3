"""The shared activation readings: ONNX's defaults and the softmax axis rule, the same on both targets."""

import numpy as np
import pytest

from porter.convert import generate
from porter.errors import UnsupportedOp
from tests.op_maps.harness import NodeCase, build_model

TARGETS = ("paddle", "mindspore")
X = np.ones((2, 3, 4), np.float32)


@pytest.mark.parametrize("target", TARGETS)
def test_an_unknown_gelu_approximation_is_refused(target):
    with pytest.raises(UnsupportedOp, match="approximate='fast' is not an ONNX value"):
        generate(build_model(NodeCase("g", "Gelu", {"x": X}, attrs={"approximate": "fast"})), target)


@pytest.mark.parametrize("target", TARGETS)
def test_leaky_relu_takes_onnx_default_slope(target):
    _, code = generate(build_model(NodeCase("l", "LeakyRelu", {"x": X})), target)
    assert "0.01" in code


@pytest.mark.parametrize("target", TARGETS)
def test_softmax_before_opset_13_over_the_last_axis_needs_no_flattening(target):
    _, code = generate(build_model(NodeCase("s", "Softmax", {"x": X}, attrs={"axis": -1}, opset=11)), target)
    assert "reshape" not in code and "flatten" not in code


@pytest.mark.parametrize("target", TARGETS)
def test_softmax_before_opset_13_coerces_the_input_to_2d(target):
    _, code = generate(build_model(NodeCase("s", "Softmax", {"x": X}, attrs={"axis": 1}, opset=11)), target)
    assert "reshape" in code
