import pytest

from tests.op_maps.cases.norm import CASES
from tests.op_maps.harness import check
from tests.op_maps.training import assert_train_mode_parity, train_mode_runs


@pytest.mark.parametrize("case", CASES, ids=str)
def test_norm(case):
    check(case, "mindspore")


def test_batch_norm_trains_like_torch(tmp_path):
    runs = train_mode_runs(tmp_path, "mindspore")
    assert "nn.BatchNorm2d(4, eps=1e-05, momentum=0.8, affine=True, use_batch_statistics=None)" in runs["code"]
    assert "nn.BatchNorm1d(5, eps=1e-05, momentum=0.7, affine=True, use_batch_statistics=None)" in runs["code"]
    assert_train_mode_parity(runs)


def test_batch_norm_without_affine_parameters_has_none_to_train(tmp_path):
    runs = train_mode_runs(tmp_path, "mindspore", "batch_norm_cnn_without_affine")
    assert "nn.BatchNorm2d(4, eps=1e-05, momentum=0.8, affine=False, use_batch_statistics=None)" in runs["code"]
    assert_train_mode_parity(runs)  # includes the trainable size: torch's has no bn.weight / bn.bias
