"""The shared pooling reading: the window's refusals and LpPool's p, the same on both targets."""

import numpy as np
import pytest

from porter.convert import generate
from porter.errors import UnsupportedOp
from tests.op_maps.harness import NodeCase, build_model

TARGETS = ("paddle", "mindspore")
X = np.ones((1, 2, 6, 6), np.float32)


@pytest.mark.parametrize("target", TARGETS)
def test_dilated_windows_are_refused(target):
    case = NodeCase("p", "MaxPool", {"x": X}, attrs={"kernel_shape": [2, 2], "dilations": [2, 2]})
    with pytest.raises(UnsupportedOp, match=r"dilations=\[2, 2\] are not supported"):
        generate(build_model(case), target)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("op_type", ["LpPool", "GlobalLpPool"])
def test_a_fractional_first_version_p_is_kept_not_truncated(target, op_type):
    attrs = {"p": 2.5, **({"kernel_shape": [2, 2]} if op_type == "LpPool" else {})}
    _, code = generate(build_model(NodeCase("p", op_type, {"x": X}, attrs=attrs, opset=1)), target)
    assert "2.5)" in code and "0.4)" in code


@pytest.mark.parametrize("target", TARGETS)
def test_global_pools_reduce_the_spatial_axes(target):
    _, code = generate(build_model(NodeCase("p", "GlobalMaxPool", {"x": X})), target)
    assert "2, 3" in code
