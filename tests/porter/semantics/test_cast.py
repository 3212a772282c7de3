"""The shared Cast reading: ONNX's truncation of floats cast to integers, the same on both targets."""

import numpy as np
import pytest
from onnx import TensorProto

from porter.convert import generate
from tests.op_maps.harness import NodeCase, build_model

TARGETS = ("paddle", "mindspore")
X = np.array([-1.5, 2.5], np.float32)


@pytest.mark.parametrize("target", TARGETS)
def test_a_float_cast_to_int_truncates_explicitly(target):
    _, code = generate(build_model(NodeCase("c", "Cast", {"x": X}, attrs={"to": TensorProto.INT32})), target)
    assert ".trunc(x)" in code


@pytest.mark.parametrize("target", TARGETS)
def test_an_int_cast_to_float_does_not_truncate(target):
    ints = np.array([1, 2], np.int32)
    _, code = generate(build_model(NodeCase("c", "Cast", {"x": ints}, attrs={"to": TensorProto.FLOAT})), target)
    assert "trunc" not in code and ".cast(x, " in code


@pytest.mark.parametrize("target", TARGETS)
def test_cast_like_to_the_same_dtype_is_the_input(target):
    _, code = generate(build_model(NodeCase("c", "CastLike", {"x": X, "like": X})), target)
    assert "cast" not in code.split("def forward" if target == "paddle" else "def construct")[1].split("return")[0]
