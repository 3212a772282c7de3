"""Build examples/tiny_cnn.onnx: a small image classifier (Conv, BatchNorm, Relu, MaxPool, Gemm, Softmax).

Written with onnx.helper so the example needs no PyTorch; weights are seeded, so the file is
reproducible. Run: python examples/make_tiny_cnn.py
"""

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def build() -> onnx.ModelProto:
    rng = np.random.default_rng(42)

    def weight(name, *shape, scale=0.2):
        return numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name)

    inits = [
        weight("stem.conv.weight", 8, 3, 3, 3),
        weight("stem.conv.bias", 8),
        numpy_helper.from_array((1 + 0.1 * rng.standard_normal(8)).astype(np.float32), "stem.bn.weight"),
        weight("stem.bn.bias", 8),
        weight("stem.bn.running_mean", 8, scale=0.1),
        numpy_helper.from_array((1 + 0.1 * rng.random(8)).astype(np.float32), "stem.bn.running_var"),
        weight("block.conv.weight", 16, 8, 3, 3),
        weight("block.conv.bias", 16),
        weight("head.weight", 10, 16),
        weight("head.bias", 10),
    ]
    nodes = [
        helper.make_node(
            "Conv",
            ["image", "stem.conv.weight", "stem.conv.bias"],
            ["stem_conv"],
            name="stem.conv",
            kernel_shape=[3, 3],
            pads=[1, 1, 1, 1],
        ),
        helper.make_node(
            "BatchNormalization",
            ["stem_conv", "stem.bn.weight", "stem.bn.bias", "stem.bn.running_mean", "stem.bn.running_var"],
            ["stem_bn"],
            name="stem.bn",
            epsilon=1e-5,
        ),
        helper.make_node("Relu", ["stem_bn"], ["stem_relu"], name="stem.relu"),
        helper.make_node("MaxPool", ["stem_relu"], ["pooled"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node(
            "Conv",
            ["pooled", "block.conv.weight", "block.conv.bias"],
            ["block_conv"],
            name="block.conv",
            kernel_shape=[3, 3],
            pads=[1, 1, 1, 1],
        ),
        helper.make_node("Relu", ["block_conv"], ["block_relu"], name="block.relu"),
        helper.make_node("GlobalAveragePool", ["block_relu"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["features"], name="flatten", axis=1),
        helper.make_node("Gemm", ["features", "head.weight", "head.bias"], ["logits"], name="head", transB=1),
        helper.make_node("Softmax", ["logits"], ["probs"], name="softmax", axis=-1),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_cnn",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 3, 32, 32])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["batch", 10])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="porter-examples")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


if __name__ == "__main__":
    path = Path(__file__).with_name("tiny_cnn.onnx")
    onnx.save(build(), path)
    print(f"wrote {path}")
