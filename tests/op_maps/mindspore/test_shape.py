import pytest

from tests.op_maps.cases.shape import CASES
from tests.op_maps.harness import check
from tests.op_maps.training import padded_embedding_training


@pytest.mark.parametrize("case", CASES, ids=str)
def test_shape(case):
    check(case, "mindspore")


def test_an_embedding_s_padding_row_is_looked_up_as_stored_and_never_trained(tmp_path):
    result, code, eval_code = padded_embedding_training(tmp_path, "mindspore")
    # MindSpore's own padding_idx only initialises the row: the port keeps padding_idx=None
    assert "self.embed = TorchEmbedding(6, 8, 2, use_one_hot=False" in code
    assert "self.embed = nn.Embedding(6, 8, use_one_hot=False" in eval_code and "TorchEmbedding" not in eval_code
    # the losses show the forward (the stored row), the gradient of embed.weight its zero padding row
    assert result["passed"], result
    assert [g["parameter"] for g in result["gradients"]] == ["embed.weight", "head.weight", "head.bias"]
