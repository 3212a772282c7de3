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
