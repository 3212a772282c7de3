import pytest

from tests.op_maps.cases.index import CASES
from tests.op_maps.harness import check


@pytest.mark.parametrize("case", CASES, ids=str)
def test_index(case):
    check(case, "mindspore")
