"""op_maps/_detection.py's host functions against onnx.reference (the numbers both targets share)."""

import numpy as np
from onnx import helper
from onnx.reference import ReferenceEvaluator

from porter.op_maps._detection import non_max_suppression, roi_align_weights

rng = np.random.default_rng(11)


def _reference(op_type, inputs, **attrs):
    names = [f"i{k}" for k in range(len(inputs))]
    node = helper.make_node(op_type, names, ["y"], **attrs)
    return ReferenceEvaluator(node).run(None, dict(zip(names, inputs)))[0]


def test_nms_matches_reference_with_ties_and_both_encodings():
    boxes = rng.uniform(0, 4, (2, 12, 4)).astype(np.float32)
    scores = rng.choice(np.float32([0.1, 0.5, 0.5, 0.9]), (2, 3, 12))  # ties: lower index first
    for center in (0, 1):
        expected = _reference(
            "NonMaxSuppression",
            [boxes, scores, np.array([4], np.int64), np.float32([0.3]), np.float32([0.2])],
            center_point_box=center,
        )
        ours = non_max_suppression(boxes, scores, 4, np.float32(0.3), np.float32(0.2), center)
        np.testing.assert_array_equal(ours, expected)


def test_roi_align_weights_match_reference():
    x = rng.standard_normal((1, 2, 6, 7)).astype(np.float32)
    rois = np.float32([[0.5, 1, 5, 4.5], [-1, -1, 9, 8]])
    expected = _reference(
        "RoiAlign", [x, rois, np.zeros(2, np.int64)], output_height=2, output_width=3, sampling_ratio=0
    )
    wy, wx = roi_align_weights(rois, 2, 3, 6, 7, 1.0, 0, True)
    ours = np.einsum("rph,chw,rqw->rcpq", wy, x[0], wx)
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-6)
