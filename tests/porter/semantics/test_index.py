"""The shared indexing readings: ONNX's version rules and refusals, the same on both targets."""

import numpy as np
import pytest

from porter.convert import generate
from porter.errors import UnsupportedOp
from tests.op_maps.harness import NodeCase, build_model

TARGETS = ("paddle", "mindspore")
X = np.arange(12, dtype=np.float32).reshape(3, 4)


@pytest.mark.parametrize("target", TARGETS)
def test_an_unknown_scatter_reduction_is_refused(target):
    idx = np.array([[0], [2]], np.int64)
    case = NodeCase("s", "ScatterND", {"x": X, "i": idx, "u": X[:2]}, attrs={"reduction": "sum"}, consts=("i",))
    with pytest.raises(UnsupportedOp, match="reduction='sum' is not an ONNX value"):
        generate(build_model(case), target)


@pytest.mark.parametrize("target", TARGETS)
def test_an_unsorted_top_k_comes_back_sorted_with_a_warning(target):
    case = NodeCase(
        "t", "TopK", {"x": X, "k": np.array([2], np.int64)}, attrs={"sorted": 0}, consts=("k",), n_outputs=2
    )
    program, _ = generate(build_model(case), target)
    assert any("sorted=0" in w for w in program.warnings)
