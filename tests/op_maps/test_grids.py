"""op_maps/_grids.py's base grid against onnx.reference's AffineGrid."""

import numpy as np
import pytest
from onnx import helper
from onnx.reference import ReferenceEvaluator

from porter.op_maps._grids import affine_base_grid


@pytest.mark.parametrize("size", [[1, 1, 3, 4], [1, 1, 2, 3, 4]])
@pytest.mark.parametrize("align", [0, 1])
def test_base_grid_times_theta_is_reference(size, align):
    k = len(size) - 2
    theta = np.random.default_rng(2).standard_normal((1, k, k + 1)).astype(np.float32)
    node = helper.make_node("AffineGrid", ["t", "s"], ["y"], align_corners=align)
    expected = ReferenceEvaluator(node).run(None, {"t": theta, "s": np.array(size, np.int64)})[0]
    ours = (affine_base_grid(size[2:], align) @ theta[0].T).reshape(expected.shape)
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-6)
