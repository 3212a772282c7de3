import pytest

from tests.op_maps.cases.reduce import CASES
from tests.op_maps.harness import check


@pytest.mark.parametrize("case", CASES, ids=str)
def test_reduce(case):
    check(case, "mindspore")
