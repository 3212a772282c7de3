"""Target-neutral cases for op_maps/<target>/image.py."""

import numpy as np

from tests.op_maps.harness import NodeCase

rng = np.random.default_rng(0)
X = rng.standard_normal((1, 2, 4, 5)).astype(np.float32)
EMPTY = np.zeros(0, np.float32)

CASES = [
    NodeCase(
        "resize_nearest_half_pixel_sizes",
        "Resize",
        {"x": X, "roi": EMPTY, "scales": EMPTY, "sizes": np.array([1, 2, 7, 3], np.int64)},
        consts=("roi", "scales", "sizes"),
    ),
    NodeCase(
        "resize_linear_align_corners_scales",
        "Resize",
        {"x": X, "roi": EMPTY, "scales": np.float32([1, 1, 2.0, 0.6])},
        attrs={"mode": "linear", "coordinate_transformation_mode": "align_corners"},
        consts=("roi", "scales"),
    ),
    NodeCase(
        "resize_cubic_exclude_outside",
        "Resize",
        {"x": X, "roi": EMPTY, "scales": np.float32([1, 1, 1.5, 1.5])},
        attrs={"mode": "cubic", "exclude_outside": 1, "cubic_coeff_a": -0.5},
        consts=("roi", "scales"),
    ),
    NodeCase(
        "resize_axes_not_larger",
        "Resize",
        {"x": X, "roi": EMPTY, "scales": EMPTY, "sizes": np.array([8, 8], np.int64)},
        attrs={"axes": [2, 3], "keep_aspect_ratio_policy": "not_larger"},
        consts=("roi", "scales", "sizes"),
    ),
    NodeCase(  # sizes as a graph input: read at run time (eager only on MindSpore)
        "resize_runtime_sizes_not_smaller",
        "Resize",
        {"x": X, "roi": None, "scales": None, "sizes": np.array([7, 5], np.int64)},
        attrs={"axes": [3, 2], "keep_aspect_ratio_policy": "not_smaller", "mode": "linear"},
        opset=18,
    ),
    NodeCase(
        "resize_runtime_scales_cubic",
        "Resize",
        {"x": X, "roi": EMPTY, "scales": np.float32([1, 1, 0.6, 1.5])},
        attrs={"mode": "cubic"},
        consts=("roi",),
    ),
    NodeCase(
        "resize_v10_linear",
        "Resize",
        {"x": X, "scales": np.float32([1, 1, 2, 1.5])},
        attrs={"mode": "linear"},
        opset=10,
    ),
    NodeCase(
        "upsample_v7_bilinear",
        "Upsample",
        {"x": X},
        attrs={"mode": "linear", "scales": [1.0, 1.0, 2.0, 2.0]},
        opset=7,
    ),
    NodeCase(
        "resize_nearest_ceil_asymmetric",
        "Resize",
        {"x": X, "roi": EMPTY, "scales": np.float32([1, 1, 1.7, 0.5])},
        attrs={"coordinate_transformation_mode": "asymmetric", "nearest_mode": "ceil"},
        consts=("roi", "scales"),
    ),
    NodeCase(
        "upsample_v9_nearest", "Upsample", {"x": X, "scales": np.float32([1, 1, 2, 3])}, opset=9, consts=("scales",)
    ),
    NodeCase(
        "resize_antialias_refused",
        "Resize",
        {"x": X, "roi": EMPTY, "scales": np.float32([1, 1, 0.5, 0.5])},
        attrs={"mode": "linear", "antialias": 1},
        consts=("roi", "scales"),
        refuse="antialias",
    ),
]

# GridSample (spatial transformers, optical flow): grids reach past [-1, 1] so every padding mode matters
_IMG = rng.standard_normal((2, 3, 5, 6)).astype(np.float32)
_GRID = rng.uniform(-1.2, 1.2, (2, 4, 7, 2)).astype(np.float32)
CASES += [
    NodeCase(
        f"grid_sample_{mode}_{pad}_align{align}",
        "GridSample",
        {"x": _IMG, "g": _GRID},
        attrs={"mode": mode, "padding_mode": pad, "align_corners": align},
        opset=opset,
        refuse={"mindspore": "rounds sample positions"} if mode == "nearest" else None,
    )  # fmt: skip
    for mode, opset in (("bilinear", 16), ("linear", 22), ("nearest", 22))
    for pad in ("zeros", "border", "reflection")
    for align in (0, 1)
]
CASES += [
    NodeCase(
        "grid_sample_3d_linear",
        "GridSample",
        {
            "x": rng.standard_normal((1, 2, 3, 4, 5)).astype(np.float32),
            "g": rng.uniform(-1.1, 1.1, (1, 2, 3, 4, 3)).astype(np.float32),
        },
        attrs={"mode": "linear", "padding_mode": "border"},
        opset=22,
    ),  # fmt: skip
    NodeCase(
        "grid_sample_cubic_refused",
        "GridSample",
        {"x": _IMG, "g": _GRID},
        attrs={"mode": "cubic"},
        opset=22,
        refuse="mode='cubic' is not mapped",
    ),  # fmt: skip
]

# NonMaxSuppression: overlapping boxes with flipped corners, both box encodings, thresholds given or not
_BOXES = np.float32(
    [[[0, 0, 1, 1], [1, 1, 0.1, 0.1], [0, 0.1, 1, 1.1], [0, 10, 1, 11], [0, 10.1, 1, 11.1], [0, 100, 1, 101]]]
)
_SCORES = np.float32([[[0.9, 0.75, 0.6, 0.95, 0.5, 0.3], [0.1, 0.2, 0.3, 0.3, 0.9, 0.8]]])
CASES += [
    NodeCase(
        "nms_corners_thresholds",
        "NonMaxSuppression",
        {
            "boxes": _BOXES,
            "scores": _SCORES,
            "max": np.array([2], np.int64),
            "iou": np.float32([0.5]),
            "score": np.float32([0.25]),
        },
        consts=("max", "iou", "score"),
    ),
    NodeCase(
        "nms_center_point_no_score_threshold",
        "NonMaxSuppression",
        {"boxes": _BOXES, "scores": _SCORES, "max": np.array([10], np.int64), "iou": np.float32([0.3])},
        attrs={"center_point_box": 1},
    ),
    NodeCase(
        "nms_center_point_refused",
        "NonMaxSuppression",
        {"boxes": _BOXES, "scores": _SCORES},
        attrs={"center_point_box": 2},
        refuse="center_point_box=2",
    ),
]

# AffineGrid: a constant size (the grid's coordinates made at convert time) and one read at run time, 2-D and 3-D
CASES += [
    NodeCase(
        "affine_grid_2d_const_align",
        "AffineGrid",
        {"theta": rng.standard_normal((2, 2, 3)).astype(np.float32), "size": np.array([2, 3, 4, 5], np.int64)},
        attrs={"align_corners": 1},
        consts=("size",),
        opset=20,
    ),
    NodeCase(
        "affine_grid_3d_runtime_size",
        "AffineGrid",
        {"theta": rng.standard_normal((2, 3, 4)).astype(np.float32), "size": np.array([2, 1, 3, 4, 5], np.int64)},
        opset=20,
        output_shapes={0: [2, 3, 4, 5, 3]},
    ),
    NodeCase(
        "affine_grid_align_refused",
        "AffineGrid",
        {"theta": rng.standard_normal((2, 2, 3)).astype(np.float32), "size": np.array([2, 3, 4, 5], np.int64)},
        attrs={"align_corners": 2},
        consts=("size",),
        opset=20,
        refuse="align_corners=2",
    ),
]

# RoiAlign (avg): RoIs partly outside the image, a fixed and an adaptive sampling grid, both coordinate modes
_FEATURES = rng.standard_normal((2, 3, 8, 9)).astype(np.float32)
_ROIS = np.float32([[0, 0, 8, 8], [2.5, 1.2, 7.7, 6.1], [-2, 5, 3, 12], [4, 4, 4.5, 9]])
_BATCH = np.array([0, 1, 1, 0], np.int64)
CASES += [
    NodeCase(
        "roi_align_half_pixel_ratio2",
        "RoiAlign",
        {"x": _FEATURES, "rois": _ROIS, "b": _BATCH},
        attrs={"output_height": 3, "output_width": 4, "sampling_ratio": 2, "spatial_scale": 0.75},
        consts=("rois", "b"),
        opset=16,
    ),
    NodeCase(
        "roi_align_output_half_pixel_adaptive",
        "RoiAlign",
        {"x": _FEATURES, "rois": _ROIS, "b": _BATCH},
        attrs={"output_height": 2, "output_width": 2, "coordinate_transformation_mode": "output_half_pixel"},
        consts=("rois", "b"),
        opset=16,
    ),
    NodeCase(
        "roi_align_max_refused",
        "RoiAlign",
        {"x": _FEATURES, "rois": _ROIS, "b": _BATCH},
        attrs={"mode": "max"},
        consts=("rois", "b"),
        opset=16,
        refuse="mode='max' is not mapped",
    ),
]
