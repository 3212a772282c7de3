"""bench/generated_runtime.py's inputs: the re-batched zoo ResNet-50 runs at the new batch and computes what
the batch-1 file computes per image, and the torch encoder factories build at the sizes the tables state."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _module():
    if str(BENCH) not in sys.path:
        sys.path.append(str(BENCH))  # generated_runtime imports convert_speed and x2paddle_compare lazily
    spec = importlib.util.spec_from_file_location("bench_generated_runtime", BENCH / "generated_runtime.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rebatch_runs_each_image_as_batch_one(tmp_path):
    from porter.zoo import model_path

    runtime = _module()
    path = tmp_path / "resnet50_b3.onnx"
    path.write_bytes(model_path("resnet50").read_bytes())
    runtime.rebatch(path, 3)  # without it, the flatten to [1, 2048] fails at batch 3
    x = np.random.default_rng(0).standard_normal((3, 3, 224, 224)).astype(np.float32)
    single = ort.InferenceSession(str(model_path("resnet50")), providers=["CPUExecutionProvider"])
    batched = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = batched.get_inputs()[0].name
    out = batched.run(None, {name: x})[0]
    assert out.shape == (3, 1000)
    expected = np.concatenate([single.run(None, {name: x[i : i + 1]})[0] for i in range(3)])
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-7)


def test_encoder_factories_build_at_the_stated_sizes():
    pytest.importorskip("torch")
    runtime = _module()
    for factory, batch in ((runtime.torch_encoder, 1), (runtime.torch_encoder_batch8, 8)):
        model, (x,) = factory()
        assert tuple(x.shape) == (batch, runtime.ENCODER["seq"], runtime.ENCODER["d_model"])
        assert len(model.layers) == runtime.ENCODER["layers"]
        assert model.layers[0].self_attn.num_heads == runtime.ENCODER["nhead"]
        assert model.layers[0].linear1.out_features == runtime.ENCODER["dim_feedforward"]
        assert tuple(model(x).shape) == tuple(x.shape)
