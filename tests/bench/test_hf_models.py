"""A representative slice of bench/transformers_table.py in CI: real `transformers` architectures, built
from configs with random weights, converted from the nn.Module and validated against PyTorch itself at two
batch/sequence shapes from one conversion. The full table (11 architectures x 2 targets) is the bench."""

from pathlib import Path

import pytest

from porter import convert
from porter.validators.validate import validate
from tests.porter.test_export import value_reads

pytest.importorskip("transformers")

FACTORIES = Path(__file__).resolve().parents[2] / "bench" / "hf_models.py"
BOUND = 1e-4  # max abs error <= 1e-4 * max(1, |reference|), issue 5's criterion


@pytest.mark.parametrize(
    ("model", "target"),
    [
        ("llama", "paddle"),  # GQA + RoPE decoder
        ("mixtral", "mindspore"),  # MoE routing through porter's grouped_mm translation
    ],
)
def test_architecture_matches_pytorch_at_two_shapes(tmp_path, model, target):
    convert(f"{FACTORIES}:{model}", target, tmp_path / "out", dynamic=["batch", "seq"])
    assert value_reads(tmp_path / "out" / "model.py") == []  # compilable: no tensor value read back
    result = validate(tmp_path / "out")
    assert result["source_runner"] == "PyTorch"
    assert [s["inputs"][0]["shape"] for s in result["sets"]] == [[2, 8], [3, 9]]  # from the example (2, 8)
    for s in result["sets"]:
        for o in s["outputs"]:
            assert o["passed"], o["reason"]
            assert o["metrics"]["max_abs"] <= BOUND * max(1.0, o["source_max_abs"])


def test_a_padded_batch_with_its_attention_mask_matches_pytorch(tmp_path):
    """BERT with input_ids and attention_mask (dynamic batch and sequence): a batch whose second row is
    padding after five tokens gives PyTorch's outputs, padded positions included."""
    import numpy as np

    out = tmp_path / "out"
    convert(f"{FACTORIES}:bert_padded", "paddle", out, dynamic=["batch", "seq"])
    assert "def forward(self, input_ids, attention_mask):" in (out / "model.py").read_text()
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 100, (3, 7))
    mask = np.ones((3, 7), np.int64)
    mask[0, 4:] = 0
    mask[2, 2:] = 0
    np.savez(tmp_path / "padded.npz", input_ids=ids, attention_mask=mask)
    result = validate(out, inputs_files=[tmp_path / "padded.npz"])
    assert result["source_runner"] == "PyTorch"
    (padded,) = result["sets"]
    for o in padded["outputs"]:
        assert o["passed"], o["reason"]
        assert o["metrics"]["max_abs"] <= BOUND * max(1.0, o["source_max_abs"])
