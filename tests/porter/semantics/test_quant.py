"""The shared quantization reading: the output type and its saturation range, the same on both targets."""

import numpy as np
import pytest

from porter.convert import generate
from porter.errors import UnsupportedOp
from tests.op_maps.harness import NodeCase, build_model

TARGETS = ("paddle", "mindspore")
X = np.array([-300.0, 0.4, 300.0], np.float32)
SCALE = np.float32(1.0)


@pytest.mark.parametrize("target", TARGETS)
def test_without_a_zero_point_the_output_is_uint8_saturated_to_0_255(target):
    case = NodeCase("q", "QuantizeLinear", {"x": X, "s": SCALE}, consts=("s",))
    _, code = generate(build_model(case), target)
    assert "0, 255" in code.replace(".0", "")


@pytest.mark.parametrize("target", TARGETS)
def test_the_zero_points_dtype_sets_the_range(target):
    case = NodeCase("q", "QuantizeLinear", {"x": X, "s": SCALE, "z": np.int8(0)}, consts=("s", "z"))
    _, code = generate(build_model(case), target)
    assert "-128, 127" in code.replace(".0", "")


@pytest.mark.parametrize("target", TARGETS)
def test_a_non_default_precision_is_refused(target):
    case = NodeCase("q", "QuantizeLinear", {"x": X, "s": SCALE}, attrs={"precision": 1}, consts=("s",))
    with pytest.raises(UnsupportedOp, match="precision"):
        generate(build_model(case), target)
