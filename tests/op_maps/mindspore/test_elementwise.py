import pytest

from tests.op_maps.cases.elementwise import CASES
from tests.op_maps.harness import check


@pytest.mark.parametrize("case", CASES, ids=str)
def test_elementwise(case):
    check(case, "mindspore")
