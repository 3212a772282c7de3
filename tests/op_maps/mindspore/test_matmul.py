import pytest

from tests.op_maps.cases.matmul import CASES
from tests.op_maps.harness import check


@pytest.mark.parametrize("case", CASES, ids=str)
def test_matmul(case):
    check(case, "mindspore")
