"""Target-neutral cases for op_maps/<target>/conv.py."""

import numpy as np

from tests.op_maps.harness import NodeCase

rng = np.random.default_rng(0)
X = rng.standard_normal((1, 4, 7, 6)).astype(np.float32)
W = rng.standard_normal((6, 2, 3, 3)).astype(np.float32)
B = rng.standard_normal((6,)).astype(np.float32)

CASES = [
    NodeCase(
        "conv_layer_groups_bias",
        "Conv",
        {"x": X, "w": W, "b": B},
        attrs={"group": 2, "pads": [1, 1, 1, 1]},
        consts=("w", "b"),
    ),
    NodeCase(
        "conv_asymmetric_pads_stride",
        "Conv",
        {"x": X, "w": W[:, :, :2], "b": B},
        attrs={"group": 2, "pads": [0, 1, 1, 0], "strides": [2, 1]},
        consts=("w", "b"),
    ),
    NodeCase(
        "conv_same_lower_dilated",
        "Conv",
        {"x": X, "w": rng.standard_normal((3, 4, 3, 3)).astype(np.float32)},
        attrs={"auto_pad": "SAME_LOWER", "strides": [2, 2]},
        consts=("w",),
    ),
    NodeCase(
        "conv_runtime_weight_1d",
        "Conv",
        {"x": X[:, :, 0], "w": rng.standard_normal((5, 4, 2)).astype(np.float32)},
    ),
    NodeCase(
        "conv_transpose_output_shape",
        "ConvTranspose",
        {"x": X, "w": rng.standard_normal((4, 3, 3, 3)).astype(np.float32)},
        attrs={"strides": [2, 2], "output_shape": [15, 13]},
    ),
    NodeCase(
        "conv_transpose_pads_outpad",
        "ConvTranspose",
        {"x": X, "w": rng.standard_normal((4, 2, 3, 3)).astype(np.float32)},
        attrs={"strides": [3, 2], "pads": [1, 0, 1, 1], "output_padding": [1, 0]},
    ),
    NodeCase(
        "conv_int_refused", "Conv", {"x": X.astype(np.int32), "w": W.astype(np.int32)}, refuse="not supported by the"
    ),
]
