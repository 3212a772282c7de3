"""The shared loss reading: reduction and ignore_index rules, the same on both targets."""

import numpy as np
import pytest

from porter.convert import generate
from porter.errors import UnsupportedOp
from tests.op_maps.harness import NodeCase, build_model

TARGETS = ("paddle", "mindspore")
SCORES = np.zeros((3, 5), np.float32)
LABELS = np.array([0, 4, 2], np.int64)


@pytest.mark.parametrize("target", TARGETS)
def test_an_unknown_reduction_is_refused(target):
    case = NodeCase("l", "NegativeLogLikelihoodLoss", {"x": SCORES, "t": LABELS}, attrs={"reduction": "avg"})
    with pytest.raises(UnsupportedOp, match="reduction='avg' is not an ONNX value"):
        generate(build_model(case), target)


@pytest.mark.parametrize("target", TARGETS)
def test_ignore_index_and_reduction_reach_the_helper(target):
    attrs = {"reduction": "sum", "ignore_index": 4}
    case = NodeCase("l", "SoftmaxCrossEntropyLoss", {"x": SCORES, "t": LABELS}, attrs=attrs)
    _, code = generate(build_model(case), target)
    assert ", None, 4, 'sum')" in code
