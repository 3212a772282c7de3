"""The shared Gemm reading: when it is a linear layer, and the scaled sum otherwise, on both targets."""

import numpy as np
import pytest

from porter.convert import generate
from tests.op_maps.harness import NodeCase, build_model

TARGETS = ("paddle", "mindspore")
LAYER = {"paddle": "nn.Linear(", "mindspore": "nn.Dense("}
A = np.ones((2, 4), np.float32)
W = np.ones((3, 4), np.float32)
C = np.ones(3, np.float32)


def _gemm(attrs, c=C):
    return build_model(NodeCase("g", "Gemm", {"a": A, "w": W, "c": c}, attrs={"transB": 1, **attrs}, consts=("w", "c")))


@pytest.mark.parametrize("target", TARGETS)
def test_a_constant_weight_with_unit_scales_is_a_linear_layer(target):
    _, code = generate(_gemm({}), target)
    assert LAYER[target] in code


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("attrs", [{"alpha": 2.0}, {"beta": 0.5}])
def test_scaled_terms_keep_the_general_form(target, attrs):
    _, code = generate(_gemm(attrs), target)
    assert LAYER[target] not in code
    assert (" * 2.0" in code) == ("alpha" in attrs) and (" * 0.5" in code) == ("beta" in attrs)


@pytest.mark.parametrize("target", TARGETS)
def test_a_bias_not_shaped_out_keeps_the_general_form(target):
    _, code = generate(_gemm({}, c=np.ones((2, 3), np.float32)), target)
    assert LAYER[target] not in code
