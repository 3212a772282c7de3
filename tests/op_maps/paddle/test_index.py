import ml_dtypes
import numpy as np
import pytest

import porter
from porter.errors import PorterError
from tests.op_maps.cases.index import CASES
from tests.op_maps.harness import NodeCase, check
from tests.op_maps.training import FACTORIES, padded_embedding_training


@pytest.mark.parametrize("case", CASES, ids=str)
def test_index(case):
    check(case, "paddle")


def test_a_bfloat16_table_is_gathered_as_stored():
    """A bfloat16 model's embedding table: a bfloat16 parameter, gathered by paddle.gather's own bfloat16
    kernel (no float32 copy of a table that can hold hundreds of MB), exact. (MindSpore's CPU Gather has no
    bfloat16 kernel: not a shared case.)"""
    table = np.random.default_rng(0).standard_normal((6, 4)).astype(ml_dtypes.bfloat16)
    ids = np.array([[5, 0], [-1, 2]], np.int64)
    case = NodeCase(
        "gather_bfloat16_table",
        "Gather",
        {"x": table, "i": ids},
        consts=("x",),
        reference=lambda arrays: [np.take(table, arrays[0], axis=0)],  # onnxruntime returns no bfloat16
        atol=0.0,
        rtol=0.0,
        why="a gather moves values: exact",
    )
    check(case, "paddle")


def test_an_embedding_s_padding_row_is_looked_up_as_stored_and_never_trained(tmp_path):
    result, code, eval_code = padded_embedding_training(tmp_path, "paddle")
    # not Paddle's padding_idx, which zeroes the row in the forward
    assert "self.embed = TorchEmbedding(6, 8, 2)" in code and "padding_idx=" not in code
    assert "self.embed = nn.Embedding(6, 8)" in eval_code and "TorchEmbedding" not in eval_code
    # the losses show the forward (the stored row), the gradient of embed.weight its zero padding row
    assert result["passed"], result
    assert [g["parameter"] for g in result["gradients"]] == ["embed.weight", "head.weight", "head.bias"]


def test_an_embedding_gradient_scaled_by_frequency_is_refused_for_training(tmp_path):
    spec = f"{FACTORIES}:padded_embedding_scaled_by_freq"
    with pytest.raises(PorterError, match="scale_grad_by_freq"):
        porter.convert(spec, "paddle", tmp_path / "out", training=True)
