"""Target-neutral cases for op_maps/<target>/pool.py."""

import numpy as np

from tests.op_maps.harness import NodeCase

rng = np.random.default_rng(0)
X = rng.standard_normal((2, 3, 7, 6)).astype(np.float32)

CASES = [
    NodeCase(
        "maxpool_ceil_drops_pad_window",
        "MaxPool",
        {"x": X},
        attrs={"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1},
        refuse={"mindspore": "ceil_mode=1 is not mapped"},
    ),
    NodeCase(
        "maxpool_indices",
        "MaxPool",
        {"x": X},
        attrs={"kernel_shape": [2, 2], "strides": [2, 2]},
        n_outputs=2,
        refuse={"mindspore": "Indices output is not mapped"},
    ),
    NodeCase(  # padded windows: the padding must never win over 0
        "maxpool_uint8_padded",
        "MaxPool",
        {"x": rng.integers(0, 256, (1, 2, 5, 5)).astype(np.uint8)},
        attrs={"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]},
        opset=12,
    ),
    NodeCase(
        "maxpool_3d_asymmetric_pads",
        "MaxPool",
        {"x": rng.standard_normal((1, 2, 4, 5, 6)).astype(np.float32)},
        attrs={"kernel_shape": [2, 3, 2], "strides": [1, 2, 2], "pads": [1, 0, 1, 0, 1, 0]},
    ),
    NodeCase(
        "avgpool_3d_exclude_pad",
        "AveragePool",
        {"x": rng.standard_normal((1, 2, 4, 5, 6)).astype(np.float32)},
        attrs={"kernel_shape": [3, 3, 3], "pads": [1, 1, 0, 0, 1, 1]},
    ),
    NodeCase("maxpool_asymmetric_pads", "MaxPool", {"x": X}, attrs={"kernel_shape": [3, 2], "pads": [1, 0, 0, 1]}),
    NodeCase(
        "avgpool_include_pad_asymmetric",
        "AveragePool",
        {"x": X},
        attrs={"kernel_shape": [2, 2], "pads": [0, 1, 1, 0], "count_include_pad": 1},
    ),
    NodeCase(
        "avgpool_exclude_pad_same_upper",
        "AveragePool",
        {"x": X},
        attrs={"kernel_shape": [3, 3], "auto_pad": "SAME_UPPER", "strides": [2, 2]},
    ),
    NodeCase(
        "avgpool_1d",
        "AveragePool",
        {"x": X[:, :, 0]},
        attrs={"kernel_shape": [3], "pads": [1, 1]},
    ),
    NodeCase("lppool_p1", "LpPool", {"x": X}, attrs={"kernel_shape": [2, 3], "p": 1, "pads": [0, 1, 0, 1]}),
    NodeCase("global_average", "GlobalAveragePool", {"x": X}),
    NodeCase("global_max", "GlobalMaxPool", {"x": X}),
    NodeCase("global_lp", "GlobalLpPool", {"x": X}, attrs={"p": 3}, opset=13),
    NodeCase(
        "maxpool_dilations_refused",
        "MaxPool",
        {"x": X},
        attrs={"kernel_shape": [2, 2], "dilations": [2, 2]},
        refuse="dilation",
    ),
]
