"""Target-neutral cases for op_maps/<target>/quant.py."""

import numpy as np

from tests.op_maps.harness import NodeCase

rng = np.random.default_rng(0)
X = (rng.standard_normal((2, 4)) * 50).astype(np.float32)

CASES = [
    NodeCase(
        "quantize_uint8_half_even",
        "QuantizeLinear",
        {"x": np.float32([0.5, 1.5, 2.5, -3.0, 400.0]), "s": np.float32(1.0), "z": np.uint8(3)},
    ),
    NodeCase(
        "quantize_int8_per_axis",
        "QuantizeLinear",
        {"x": X, "s": np.float32([0.5, 1, 2, 4]), "z": np.int8([0, 1, -1, 2])},
        attrs={"axis": 1},
    ),
    NodeCase(
        "dequantize_blocked",
        "DequantizeLinear",
        {
            "x": rng.integers(-128, 127, (2, 4)).astype(np.int8),
            "s": np.float32([[0.5, 2.0], [1.0, 3.0]]),
            "z": np.int8([[1, 0], [0, -1]]),
        },
        attrs={"axis": 1, "block_size": 2},
        refuse={"mindspore": "blocked quantization is not mapped"},
    ),
    NodeCase("dequantize_int32_scalar", "DequantizeLinear", {"x": np.int32([-5, 0, 7]), "s": np.float32(0.25)}),
    NodeCase("dynamic_quantize", "DynamicQuantizeLinear", {"x": X}, n_outputs=3),
    NodeCase(
        "quantize_precision_refused",
        "QuantizeLinear",
        {"x": X, "s": np.float32(1.0)},
        attrs={"precision": 1},
        refuse="precision",
    ),
]
