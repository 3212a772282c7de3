import pytest

from tests.op_maps.cases.loss import CASES
from tests.op_maps.harness import check


@pytest.mark.parametrize("case", CASES, ids=str)
def test_loss(case):
    check(case, "mindspore")
