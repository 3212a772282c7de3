"""Build the sample's two tiny models (and the deliberately changed one broken.toml uses).

    classifier.onnx           MatMul-Add, Relu, MatMul-Add, Softmax: a 16 -> 32 -> 4 MLP
    encoder.onnx              Conv, Relu, Conv, Relu, GlobalAveragePool, Flatten: a 1 x 12 x 12 image -> 8
    classifier_changed.onnx   classifier.onnx with one layer changed (fc2's weights retrained), same names

onnx.helper only (no PyTorch); seeded, so the files are reproducible. Run: python make_models.py
"""

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = Path(__file__).resolve().parent / "models"


def _weights(rng, **shapes):
    return [numpy_helper.from_array((rng.standard_normal(s) * 0.3).astype(np.float32), n) for n, s in shapes.items()]


def classifier(changed: bool = False) -> onnx.ModelProto:
    rng = np.random.default_rng(7)
    inits = _weights(rng, fc1_weight=(16, 32), fc1_bias=(32,), fc2_weight=(32, 4), fc2_bias=(4,))
    if changed:  # the changed layer: fc2 retrained (new weights), everything else as accepted
        inits[2] = numpy_helper.from_array(numpy_helper.to_array(inits[2]) * 1.5, "fc2_weight")
    nodes = [
        helper.make_node("MatMul", ["features", "fc1_weight"], ["fc1_mm"], name="fc1.matmul"),
        helper.make_node("Add", ["fc1_mm", "fc1_bias"], ["fc1_out"], name="fc1.add"),
        helper.make_node("Relu", ["fc1_out"], ["hidden"], name="act"),
        helper.make_node("MatMul", ["hidden", "fc2_weight"], ["fc2_mm"], name="fc2.matmul"),
        helper.make_node("Add", ["fc2_mm", "fc2_bias"], ["logits"], name="fc2.add"),
        helper.make_node("Softmax", ["logits"], ["probs"], name="softmax", axis=-1),
    ]
    graph = helper.make_graph(
        nodes,
        "classifier",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", 16])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["batch", 4])],
        inits,
    )
    return _finish(graph)


def encoder() -> onnx.ModelProto:
    rng = np.random.default_rng(11)
    inits = _weights(rng, conv1_weight=(4, 1, 3, 3), conv1_bias=(4,), conv2_weight=(8, 4, 3, 3), conv2_bias=(8,))
    nodes = [
        helper.make_node("Conv", ["image", "conv1_weight", "conv1_bias"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "conv2_weight", "conv2_bias"], ["c2"], name="conv2", strides=[2, 2]),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("GlobalAveragePool", ["r2"], ["pooled"], name="pool"),
        helper.make_node("Flatten", ["pooled"], ["embedding"], name="flatten", axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "encoder",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 1, 12, 12])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", 8])],
        inits,
    )
    return _finish(graph)


def _finish(graph) -> onnx.ModelProto:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="porter-sample")
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model


if __name__ == "__main__":
    HERE.mkdir(exist_ok=True)
    onnx.save(classifier(), HERE / "classifier.onnx")
    onnx.save(classifier(changed=True), HERE / "classifier_changed.onnx")
    onnx.save(encoder(), HERE / "encoder.onnx")
    print("wrote", ", ".join(sorted(p.name for p in HERE.glob("*.onnx"))))
