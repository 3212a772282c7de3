"""Build examples/plugins/fused_bias_gelu.onnx: a small MLP whose activation is a custom-domain op,
com.example::FusedBiasGelu, as a team's fused CUDA kernel exports. Also the fp64 numpy reference of the
model (no onnxruntime: it cannot run the custom op either), which the example's tests compare against.

    python examples/plugins/make_fused_bias_gelu.py      # rewrites fused_bias_gelu.onnx beside this file
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = Path(__file__).resolve().parent
MODEL = HERE / "fused_bias_gelu.onnx"
FEATURES, HIDDEN, CLASSES = 8, 16, 4


def weights() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "fc1.weight": rng.standard_normal((FEATURES, HIDDEN)).astype(np.float32) * 0.5,
        "fc1.bias": rng.standard_normal(HIDDEN).astype(np.float32) * 0.5,
        "fc2.weight": rng.standard_normal((HIDDEN, CLASSES)).astype(np.float32) * 0.5,
    }


def build(approximate: str = "tanh") -> onnx.ModelProto:
    nodes = [
        helper.make_node("MatMul", ["features", "fc1.weight"], ["hidden"], name="fc1"),
        helper.make_node(
            "FusedBiasGelu", ["hidden", "fc1.bias"], ["act"], name="act", domain="com.example", approximate=approximate
        ),
        helper.make_node("MatMul", ["act", "fc2.weight"], ["logits"], name="fc2"),
    ]
    graph = helper.make_graph(
        nodes,
        "fused_mlp",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", FEATURES])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", CLASSES])],
        initializer=[numpy_helper.from_array(a, name) for name, a in weights().items()],
    )
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)]
    return helper.make_model(graph, opset_imports=opsets, producer_name="porter-example")


def gelu(x: np.ndarray, approximate: str) -> np.ndarray:
    """fp64 Gelu, exact (erf) or tanh-approximated, as ONNX's Gelu defines them."""
    x = np.asarray(x, np.float64)
    if approximate == "tanh":
        return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))
    return 0.5 * x * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))


def reference(features: np.ndarray, approximate: str = "tanh") -> np.ndarray:
    """The model's output in float64, from its weights (what the port must match)."""
    w = {k: v.astype(np.float64) for k, v in weights().items()}
    return gelu(np.asarray(features, np.float64) @ w["fc1.weight"] + w["fc1.bias"], approximate) @ w["fc2.weight"]


if __name__ == "__main__":
    onnx.save(build(), MODEL)
    print(f"wrote {MODEL}")
