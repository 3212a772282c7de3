import pytest

from tests.op_maps.cases.pool import CASES
from tests.op_maps.harness import check


@pytest.mark.parametrize("case", CASES, ids=str)
def test_pool(case):
    check(case, "mindspore")
