"""bench/large_decoder.py in miniature: the decoder graph it builds, its numpy interpreter (the reference
for models onnxruntime cannot hold or run) and a bfloat16 decoder ported to Paddle and to MindSpore, weights
kept bfloat16."""

import subprocess
import sys
from pathlib import Path

import ml_dtypes
import numpy as np
import onnxruntime as ort

import porter
from porter.op_maps.mindspore._checkpoint import read_checkpoint
from porter.validators.profiles import load_profile
from porter.validators.verdict import judge

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))
import large_decoder  # noqa: E402 (bench/ is not a package)

IDS = np.array([[3, 141, 59, 265, 358]], np.int64)


def test_the_numpy_interpreter_computes_what_onnxruntime_computes(tmp_path):
    model, weight_bytes, params = large_decoder.build(tmp_path, "tiny", "float32", pooled=True)
    assert weight_bytes == 4 * params and (tmp_path / "model.onnx_data").stat().st_size == weight_bytes
    expected = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"]).run(None, {"input_ids": IDS})[0]
    got = large_decoder.reference_logits(model, IDS, golden=False)
    golden = large_decoder.reference_logits(model, IDS, golden=True)
    assert got.shape == expected.shape == (1, 5, 512)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(golden, expected, rtol=1e-4, atol=1e-4)
    assert golden.dtype == np.float64 and not np.array_equal(golden, got.astype(np.float64))


def test_a_bfloat16_decoder_ports_to_paddle_with_bfloat16_weights(tmp_path):
    model, weight_bytes, params = large_decoder.build(tmp_path, "tiny", "bfloat16", pooled=True)
    assert weight_bytes == 2 * params
    out = tmp_path / "port"
    porter.convert(model, "paddle", out)
    code = (out / "model.py").read_text()
    assert "dtype='bfloat16'" in code and "paddle.cast(" in code  # bfloat16 parameters, float32 matmuls
    with np.load(out / "model.npz", allow_pickle=False) as weights:  # the bits, as stored in the source
        q = weights["model.layers.0.self_attn.q_proj.weight"]
        assert q.dtype == np.uint16
        source = large_decoder.NumpyOps(model).weight("model.layers.0.self_attn.q_proj.weight", None, None)
        np.testing.assert_array_equal(q, np.asarray(source).view(np.uint16))
    _judge_port(tmp_path, model, out, "paddle", large_decoder._RUN_PORT)


# the generated load_model, as a user loads the port (the bench's own loader sets one tensor at a time)
_RUN_MINDSPORE_PORT = r"""
import importlib.util, sys
import mindspore
import numpy as np
out, ids_path, y_path = sys.argv[2:5]
spec = importlib.util.spec_from_file_location("ported", out + "/model.py")
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
model = module.load_model()
assert {p.dtype for p in model.get_parameters()} == {mindspore.bfloat16, mindspore.float32}
np.save(y_path, model(mindspore.Tensor(np.load(ids_path))).astype(mindspore.float32).asnumpy())
"""


def test_a_bfloat16_decoder_ports_to_mindspore_with_bfloat16_weights(tmp_path):
    model, _, _ = large_decoder.build(tmp_path, "tiny", "bfloat16", pooled=True)
    out = tmp_path / "port"
    porter.convert(model, "mindspore", out)
    code = (out / "model.py").read_text()
    assert "WidenedDense(64, 64, has_bias=True" in code and "dtype=mindspore.bfloat16" in code
    weights = read_checkpoint(str(out / "model.ckpt"))  # the source's bfloat16 values, [out, in] as Dense holds them
    q = weights["model.layers.0.self_attn.q_proj.weight"]
    assert q.dtype == ml_dtypes.bfloat16
    source = large_decoder.NumpyOps(model).weight("model.layers.0.self_attn.q_proj.weight", None, None)
    np.testing.assert_array_equal(q.view(np.uint16), np.asarray(source).T.view(np.uint16))
    _judge_port(tmp_path, model, out, "mindspore", _RUN_MINDSPORE_PORT)


def _judge_port(tmp_path, model, out, target, script):
    """The port's logits (run in its own process by `script`) judged against the numpy interpreter's bfloat16
    logits and the float64 golden by porter's cpu verdict; argmax equal."""
    np.save(tmp_path / "ids.npy", IDS)
    args = [target, out, tmp_path / "ids.npy", tmp_path / "y.npy", BENCH]
    subprocess.run([sys.executable, "-c", script, *map(str, args)], check=True)
    got = np.load(tmp_path / "y.npy").astype(ml_dtypes.bfloat16)
    source = large_decoder.reference_logits(model, IDS, golden=False).astype(ml_dtypes.bfloat16)
    golden = large_decoder.reference_logits(model, IDS, golden=True)
    verdict = judge(got, source, golden, load_profile("cpu"))
    assert verdict["passed"], verdict["reason"]
    assert np.array_equal(got.astype(np.float32).argmax(-1), source.astype(np.float32).argmax(-1))
