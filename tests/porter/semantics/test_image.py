"""The shared Resize / Upsample reading: the same attribute rules and refusals on both targets."""

import numpy as np
import pytest

from porter.convert import generate
from porter.errors import UnsupportedOp
from tests.op_maps.harness import NodeCase, build_model

TARGETS = ("paddle", "mindspore")
X = np.ones((1, 1, 2, 3), np.float32)
SCALES = np.array([1, 1, 2, 2], np.float32)


def _resize(attrs, opset=None):
    inputs = {"x": X, "roi": None, "scales": SCALES} if opset is None or opset >= 11 else {"x": X, "scales": SCALES}
    return build_model(NodeCase("r", "Resize", inputs, attrs=attrs, consts=("scales",), opset=opset))


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(
    "attrs, message",
    [
        ({"mode": "area"}, "mode='area' is not an ONNX value"),
        ({"nearest_mode": "up"}, "nearest_mode='up' is not an ONNX value"),
        ({"coordinate_transformation_mode": "edges"}, "coordinate_transformation_mode='edges' is not supported"),
        ({"keep_aspect_ratio_policy": "fill"}, "keep_aspect_ratio_policy='fill' is not an ONNX value"),
        ({"antialias": 1}, "antialias=1 is not supported"),
    ],
)
def test_values_outside_onnx_are_refused_on_both_targets(target, attrs, message):
    with pytest.raises(UnsupportedOp, match=message):
        generate(_resize(attrs), target)


@pytest.mark.parametrize("target", TARGETS)
def test_resize_10_reads_upsample_modes(target):
    # linear blends two taps: Paddle's helper is told 'linear', MindSpore's plan carries blend weights
    linear = {"paddle": "'linear'", "mindspore": " * mindspore.Tensor("}[target]
    _, code = generate(_resize({"mode": "bilinear"}, opset=10), target)
    assert linear in code
    _, code = generate(_resize({"mode": "nearest"}, opset=10), target)
    assert linear not in code
    with pytest.raises(UnsupportedOp, match="mode='cubic' is not an ONNX value"):
        generate(_resize({"mode": "cubic"}, opset=10), target)
