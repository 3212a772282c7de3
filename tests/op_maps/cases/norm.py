"""Target-neutral cases for op_maps/<target>/norm.py."""

import numpy as np

from tests.op_maps.harness import NodeCase

rng = np.random.default_rng(0)
X = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
C = [rng.standard_normal(3).astype(np.float32) for _ in range(3)] + [rng.random(3).astype(np.float32) + 0.5]
S = rng.standard_normal(5).astype(np.float32)

CASES = [
    NodeCase(
        "batchnorm_layer",
        "BatchNormalization",
        {"x": X, "s": C[0], "b": C[1], "m": C[2], "v": C[3]},
        attrs={"epsilon": 1e-3},
        consts=("s", "b", "m", "v"),
    ),
    NodeCase(
        "batchnorm_runtime_stats",
        "BatchNormalization",
        {"x": X, "s": C[0], "b": C[1], "m": C[2], "v": C[3]},
        refuse={"mindspore": "run-time statistics"},
    ),
    NodeCase(
        "batchnorm_training_refused",
        "BatchNormalization",
        {"x": X, "s": C[0], "b": C[1], "m": C[2], "v": C[3]},
        attrs={"training_mode": 1},
        n_outputs=3,
        refuse="training_mode",
    ),
    NodeCase("instancenorm", "InstanceNormalization", {"x": X, "s": C[0], "b": C[1]}, attrs={"epsilon": 1e-4}),
    NodeCase("layernorm_layer", "LayerNormalization", {"x": X, "s": S, "b": S[::-1].copy()}, consts=("s", "b")),
    NodeCase(  # Paddle's fused kernel rejects epsilon > 1e-3: this must take the functional form there
        "layernorm_large_epsilon",
        "LayerNormalization",
        {"x": X, "s": S, "b": S[::-1].copy()},
        attrs={"epsilon": 1e-2},
        consts=("s", "b"),
    ),
    NodeCase(
        "layernorm_axis_stats",
        "LayerNormalization",
        {"x": X, "s": rng.standard_normal((4, 5)).astype(np.float32)},
        attrs={"axis": 2},
        n_outputs=3,
    ),
    NodeCase("rmsnorm", "RMSNormalization", {"x": X, "s": S}, attrs={"epsilon": 1e-6}),
    NodeCase(
        "groupnorm",
        "GroupNormalization",
        {
            "x": rng.standard_normal((2, 4, 3)).astype(np.float32),
            "s": np.float32([1, 2, 3, 4]),
            "b": np.float32([0, 1, 0, 1]),
        },
        attrs={"num_groups": 2},
        opset=21,
    ),
    NodeCase("lrn", "LRN", {"x": X}, attrs={"size": 3, "alpha": 0.001, "beta": 0.5, "bias": 2.0}),
    NodeCase("lpnorm_l1", "LpNormalization", {"x": X}, attrs={"p": 1, "axis": 1}),
    NodeCase("mvn", "MeanVarianceNormalization", {"x": X}, opset=13),
]
