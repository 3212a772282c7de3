"""op_maps/_fold.py's placement matrix against onnx.reference's Col2Im."""

import numpy as np
from onnx import helper
from onnx.reference import ReferenceEvaluator

from porter.op_maps._fold import col2im_matrix


def test_col2im_matrix_is_reference():
    image, block = [5, 6], [2, 3]
    attrs = {"dilations": [2, 1], "pads": [1, 0, 0, 2], "strides": [1, 2]}
    matrix = col2im_matrix(image, block, attrs["dilations"], attrs["pads"], attrs["strides"])
    x = np.random.default_rng(4).standard_normal((1, 2 * 6, matrix.shape[0] // 6)).astype(np.float32)
    node = helper.make_node("Col2Im", ["x", "i", "b"], ["y"], **attrs)
    feeds = {"x": x, "i": np.array(image, np.int64), "b": np.array(block, np.int64)}
    expected = ReferenceEvaluator(node).run(None, feeds)[0]
    ours = (x.reshape(1, 2, -1) @ matrix).reshape(expected.shape)
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-5)


def test_register_lists_col2im_under_the_target_module():
    from porter.op_maps._fold import register
    from porter.registry import Registry

    registry = Registry("probe")
    register(registry.register, "porter.op_maps.probe.conv", calls="x", tensor="x.Tensor", read_ints=None)
    mapping = registry.ops()["Col2Im"][-1]
    assert (mapping.module, mapping.emit.__name__, mapping.dtypes) == ("conv", "col2im", {"float32", "float64"})
