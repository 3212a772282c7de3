import pytest

from tests.op_maps.cases.norm import CASES
from tests.op_maps.harness import check
from tests.op_maps.training import assert_train_mode_parity, train_mode_runs


@pytest.mark.parametrize("case", CASES, ids=str)
def test_norm(case):
    check(case, "paddle")


def test_batch_norm_trains_like_torch(tmp_path):
    runs = train_mode_runs(tmp_path, "paddle")
    assert "class TorchBatchNorm2D(RunningVarianceAsTorch, nn.BatchNorm2D)" in runs["code"]
    assert "TorchBatchNorm2D(4, momentum=0.8," in runs["code"] and "TorchBatchNorm1D(5, momentum=0.7," in runs["code"]
    assert_train_mode_parity(runs)


def test_batch_norm_without_affine_parameters_has_none_to_train(tmp_path):
    runs = train_mode_runs(tmp_path, "paddle", "batch_norm_cnn_without_affine")
    assert "TorchBatchNorm2D(4, momentum=0.8, epsilon=1e-05, weight_attr=False, bias_attr=False" in runs["code"]
    assert_train_mode_parity(runs)  # includes the trainable size: torch's has no bn.weight / bn.bias
