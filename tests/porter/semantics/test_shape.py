"""The shared shape readings: ONNX's defaults, version rules and arithmetic, the same on both targets."""

import numpy as np
import pytest

from porter.convert import generate
from porter.errors import UnsupportedOp
from porter.semantics.shape import depth_to_space_split, even_split, unsqueeze_positions
from tests.op_maps.harness import NodeCase, build_model

TARGETS = ("paddle", "mindspore")
X = np.arange(24, dtype=np.float32).reshape(2, 3, 4)


def test_an_uneven_split_makes_ceil_sized_parts_the_last_smaller():
    assert even_split(10, 3) == [4, 4, 2]
    assert even_split(9, 3) == [3, 3, 3]
    assert even_split(7, 4) == [2, 2, 2, 1]


def test_unsqueeze_axes_count_in_the_output_rank():
    assert unsqueeze_positions([-1, 0], 2) == [0, 3]
    assert unsqueeze_positions([2, 0], 1) == [0, 2]


def test_depth_to_space_split_orders_blocks_by_mode():
    assert depth_to_space_split("DCR", 4, 1, 32, 3, 5) == [1, 4, 4, 2, 3, 5]
    assert depth_to_space_split("CRD", 4, 1, 32, 3, 5) == [1, 2, 4, 4, 3, 5]
    assert depth_to_space_split("CRD", 3, "n", "c", "h", "w") == ["n", "c // 9", 3, 3, "h", "w"]


@pytest.mark.parametrize("target", TARGETS)
def test_transpose_without_perm_reverses_the_axes(target):
    _, code = generate(build_model(NodeCase("t", "Transpose", {"x": X})), target)
    assert "2, 1, 0" in code


@pytest.mark.parametrize("target", TARGETS)
def test_concat_before_opset_4_defaults_to_axis_1(target):
    _, code = generate(build_model(NodeCase("c", "Concat", {"a": X, "b": X}, opset=1)), target)
    assert "axis=1" in code


@pytest.mark.parametrize("target", TARGETS)
def test_shape_start_and_end_slice_the_shape(target):
    # a symbolic batch dim: a static shape would be folded into a constant
    case = NodeCase("s", "Shape", {"x": X}, attrs={"start": 0, "end": -1}, input_shapes={"x": ["b", 3, 4]})
    _, code = generate(build_model(case), target)
    assert "[:-1]" in code  # start 0 is left out, as a person writes it (porter.codegen.tidy)


@pytest.mark.parametrize("target", TARGETS)
def test_an_unknown_pad_mode_is_refused(target):
    case = NodeCase("p", "Pad", {"x": X, "pads": np.zeros(6, np.int64)}, attrs={"mode": "mirror"}, consts=("pads",))
    with pytest.raises(UnsupportedOp, match="mode='mirror' is not an ONNX pad mode"):
        generate(build_model(case), target)
