import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import porter
from porter.errors import OutputExists, UnsupportedOp
from tests.models import elementwise_chain, single_node


def test_convert_writes_standalone_outputs(tmp_path):
    out = tmp_path / "out"
    result = porter.convert(elementwise_chain(), "paddle", out)
    assert sorted(p.name for p in out.iterdir()) == ["model.npz", "model.py", "report.json"]
    code = (out / "model.py").read_text()
    imports = {line for line in code.splitlines() if line.startswith(("import ", "from "))}
    assert imports <= {"import json", "import os", "import numpy as np", "import paddle", "from paddle import nn"}
    report = json.loads((out / "report.json").read_text())
    assert report["op_counts"] == {"Abs": 1, "Add": 1, "Mul": 1, "Sqrt": 1}
    assert {"source": "scale.weight", "target": "scale_weight", "transform": None} in report["parameters"]
    assert result.out_dir == out


@pytest.mark.parametrize("target", ["paddle", "mindspore"])
def test_max_shard_size_writes_shards_and_an_index_that_load_model_follows(tmp_path, target):
    from tests.porter.test_weights import _run

    weights_file = {"paddle": "model.npz", "mindspore": "model.ckpt"}[target]
    porter.convert("examples/tiny_cnn.onnx", target, tmp_path / "one")
    porter.convert("examples/tiny_cnn.onnx", target, tmp_path / "shards", max_shard_size=2000)
    stem, suffix = weights_file.split(".")
    names = sorted(p.name for p in (tmp_path / "shards").iterdir())
    shards = [n for n in names if n.startswith(f"{stem}-")]
    assert len(shards) > 1 and shards == [
        f"{stem}-{i:05d}-of-{len(shards):05d}.{suffix}" for i in range(1, len(shards) + 1)
    ]
    assert [n for n in names if n not in shards] == [f"{weights_file}.index.json", "model.py", "report.json"]
    x = np.random.default_rng(0).standard_normal((2, 3, 32, 32)).astype(np.float32)
    np.savez(tmp_path / "x.npz", input_0=x)
    got = _run(target, tmp_path / "shards", tmp_path / "x.npz", tmp_path / "got.npz")
    assert np.array_equal(got, _run(target, tmp_path / "one", tmp_path / "x.npz", tmp_path / "want.npz"))


def test_converted_model_matches_onnxruntime(tmp_path):
    model = elementwise_chain()
    porter.convert(model, "paddle", tmp_path / "out")
    x = np.random.default_rng(0).standard_normal((2, 4, 8)).astype(np.float32)
    expected = ort.InferenceSession(model.SerializeToString()).run(None, {"x": x})[0]
    import paddle

    actual = porter.load(tmp_path / "out")(paddle.to_tensor(x)).numpy()
    np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-6)


def test_generation_is_deterministic(tmp_path):
    porter.convert(elementwise_chain(), "paddle", tmp_path / "a")
    porter.convert(elementwise_chain(), "paddle", tmp_path / "b")
    for name in ("model.py", "model.npz", "report.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_existing_output_is_not_overwritten_without_force(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(OutputExists):
        porter.convert(elementwise_chain(), "paddle", out)
    assert (out / "keep.txt").read_text() == "mine"
    porter.convert(elementwise_chain(), "paddle", out, force=True)
    assert not (out / "keep.txt").exists()
    assert (out / "model.py").exists()


def test_failed_conversion_leaves_nothing_behind(tmp_path):
    model = single_node("Add", {"a": 12, "b": 12}, {"y": 12})  # uint32: no Paddle dtype
    with pytest.raises(UnsupportedOp, match="uint32"):
        porter.convert(model, "paddle", tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_unknown_target_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown target 'tensorflow'"):
        porter.generate(elementwise_chain(), "tensorflow")


def test_a_refusal_in_a_pytorch_graph_names_the_source_module():
    from tests.porter.scoped_models import stacked_blocks

    model = stacked_blocks(2)
    relu = next(n for n in model.graph.node if n.op_type == "Relu" and n.output[0] == "relu_1")
    relu.domain = "custom.ops"  # a kernel of the team's own, as torch.onnx exports it
    model.opset_import.append(onnx.helper.make_opsetid("custom.ops", 1))
    with pytest.raises(UnsupportedOp, match=r"source module 'blocks\.1\.act'"):
        porter.convert(model, "paddle")
