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
        "conv_transpose_1d_runtime_weights_bias_outpad",
        "ConvTranspose",
        {"x": X[:, :, 0], "w": rng.standard_normal((4, 3, 5)).astype(np.float32), "b": B[:3]},
        attrs={"strides": [2], "pads": [1, 2], "output_padding": [1]},
    ),
    # constant weights (what real decoders hold): the framework's own transposed-convolution layers
    NodeCase(
        "conv_transpose_layer_groups_outpad_past_end",
        "ConvTranspose",
        {"x": X, "w": rng.standard_normal((4, 3, 3, 2)).astype(np.float32), "b": B},
        attrs={"strides": [2, 3], "pads": [1, 0, 0, 0], "output_padding": [1, 2], "group": 2, "dilations": [1, 2]},
        consts=("w", "b"),
    ),  # fmt: skip
    NodeCase(
        "conv_transpose_layer_outpad_within_pads",
        "ConvTranspose",
        {"x": X, "w": rng.standard_normal((4, 5, 4, 3)).astype(np.float32), "b": B[:5]},
        attrs={"strides": [2, 2], "pads": [1, 1, 2, 1], "output_padding": [1, 1]},
        consts=("w", "b"),
    ),  # fmt: skip
    NodeCase(
        "conv_transpose_1d_codec_upsample",
        "ConvTranspose",  # a vocoder's ConvTranspose1d(k=8, stride=4, padding=2)
        {"x": X[:, :, 0], "w": rng.standard_normal((4, 3, 8)).astype(np.float32), "b": B[:3]},
        attrs={"strides": [4], "pads": [2, 2]},
        consts=("w", "b"),
    ),  # fmt: skip
    NodeCase(
        "conv_transpose_1d_groups_outpad",
        "ConvTranspose",
        {"x": X[:, :, 0], "w": rng.standard_normal((4, 1, 5)).astype(np.float32)},
        attrs={"strides": [3], "pads": [1, 3], "output_padding": [2], "group": 4},
        consts=("w",),
    ),  # fmt: skip
    NodeCase(
        "conv_transpose_3d_same_upper",
        "ConvTranspose",
        {
            "x": rng.standard_normal((1, 4, 3, 4, 5)).astype(np.float32),
            "w": rng.standard_normal((4, 3, 2, 3, 2)).astype(np.float32),
            "b": B[:6],
        },
        attrs={"strides": [2, 1, 2], "auto_pad": "SAME_UPPER", "group": 2},
        consts=("w", "b"),
    ),  # fmt: skip
    NodeCase(
        "conv_transpose_output_shape_const",
        "ConvTranspose",
        {"x": X, "w": rng.standard_normal((4, 3, 3, 3)).astype(np.float32)},
        attrs={"strides": [2, 2], "output_shape": [15, 14]},
        consts=("w",),
    ),  # fmt: skip
    NodeCase(
        "conv_int_refused", "Conv", {"x": X.astype(np.int32), "w": W.astype(np.int32)}, refuse="not supported by the"
    ),
]

# Col2Im: 2 channels of 2x3 blocks over a 6x7 image with strides, dilations and asymmetric pads; runtime shapes; 3-D
_I64 = np.int64
CASES += [
    NodeCase(
        "col2im_strided_dilated_padded",
        "Col2Im",
        {
            "x": rng.standard_normal((2, 12, 12)).astype(np.float32),
            "image": np.array([6, 7], _I64),
            "block": np.array([2, 3], _I64),
        },
        attrs={"strides": [2, 2], "dilations": [2, 1], "pads": [1, 0, 0, 2]},
        consts=("image", "block"),
        opset=18,
    ),
    NodeCase(  # image and block shapes read at run time (eager only)
        "col2im_runtime_shapes",
        "Col2Im",
        {
            "x": rng.standard_normal((1, 6, 9)).astype(np.float32),
            "image": np.array([4, 5], _I64),
            "block": np.array([2, 3], _I64),
        },
        opset=18,
    ),
    NodeCase(
        "col2im_3d",
        "Col2Im",
        {
            "x": rng.standard_normal((1, 8, 8)).astype(np.float32),
            "image": np.array([3, 3, 3], _I64),
            "block": np.array([2, 2, 2], _I64),
        },
        consts=("image", "block"),
        opset=18,
    ),
]
