"""Target-neutral cases for op_maps/<target>/activation.py."""

import numpy as np

from tests.op_maps.harness import NodeCase

rng = np.random.default_rng(0)
X = rng.standard_normal((2, 3, 4)).astype(np.float32) * 3

CASES = [
    NodeCase("relu", "Relu", {"x": X}),
    NodeCase("leaky_relu_alpha", "LeakyRelu", {"x": X}, attrs={"alpha": 0.2}),
    NodeCase("elu_alpha", "Elu", {"x": X}, attrs={"alpha": 0.5}),
    NodeCase("selu_custom", "Selu", {"x": X}, attrs={"alpha": 2.0, "gamma": 3.0}),
    NodeCase("hardsigmoid", "HardSigmoid", {"x": X}, attrs={"alpha": 0.3, "beta": 0.4}),
    NodeCase("gelu_tanh", "Gelu", {"x": X}, attrs={"approximate": "tanh"}),
    NodeCase("gelu_exact", "Gelu", {"x": X}),
    NodeCase("swish_alpha", "Swish", {"x": X}, attrs={"alpha": 2.0}),
    NodeCase("shrink", "Shrink", {"x": X}, attrs={"lambd": 1.0, "bias": 0.5}),
    NodeCase("celu_alpha", "Celu", {"x": X}, attrs={"alpha": 0.7}),
    NodeCase("celu_float16", "Celu", {"x": X.astype(np.float16)}, attrs={"alpha": 2.0}, opset=28),
    NodeCase("swiglu_alpha", "SwiGLU", {"a": X, "b": X[::-1].copy()}, attrs={"alpha": 0.5}, opset=28),
    NodeCase("mish_large", "Mish", {"x": np.float32([-100, -20, -1, 0, 1, 20, 100])}),
    NodeCase("thresholded_relu_alpha", "ThresholdedRelu", {"x": X}, attrs={"alpha": 0.5}),
    NodeCase("prelu_broadcast", "PRelu", {"x": X, "slope": np.float32([0.1, 0.2, 0.3, 0.4])}),
    NodeCase("softmax_axis1", "Softmax", {"x": X}, attrs={"axis": 1}),
    NodeCase("softmax_v11_coerced", "Softmax", {"x": X}, attrs={"axis": 1}, opset=11),
    NodeCase("logsoftmax_v1_axis0", "LogSoftmax", {"x": X}, attrs={"axis": 0}, opset=1),
    NodeCase("hardmax", "Hardmax", {"x": X}, attrs={"axis": -1}),
    NodeCase("dropout_inference_mask", "Dropout", {"x": X}, n_outputs=2),
    NodeCase(
        "dropout_training_refused",
        "Dropout",
        {"x": X, "ratio": np.float32(0.5), "mode": np.array(True)},
        consts=("ratio", "mode"),
        refuse="training_mode",
    ),
    NodeCase("identity_int", "Identity", {"x": np.arange(5)}),
    NodeCase(
        "relu_uint8_refused",
        "Relu",
        {"x": np.arange(4, dtype=np.uint8)},
        opset=14,
        refuse="uint8 is not supported by the",
    ),
]
