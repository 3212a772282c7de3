"""The shared logic reading: BitShift's direction, the same on both targets."""

import numpy as np
import pytest

from porter.convert import generate
from porter.errors import UnsupportedOp
from tests.op_maps.harness import NodeCase, build_model

TARGETS = ("paddle", "mindspore")
A = np.array([1, 2, 3], np.int32)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("direction", ["LEFT", "RIGHT"])
def test_bit_shift_passes_direction_and_width(target, direction):
    case = NodeCase("b", "BitShift", {"a": A, "b": A}, attrs={"direction": direction})
    _, code = generate(build_model(case), target)
    assert f"(a, b, {direction == 'LEFT'}, 32" in code


@pytest.mark.parametrize("target", TARGETS)
def test_an_unknown_direction_is_refused(target):
    case = NodeCase("b", "BitShift", {"a": A, "b": A}, attrs={"direction": "UP"})
    with pytest.raises(UnsupportedOp, match="direction='UP' is not an ONNX value"):
        generate(build_model(case), target)
