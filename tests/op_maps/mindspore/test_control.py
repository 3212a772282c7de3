import pytest

from tests.op_maps.cases.control import CASES
from tests.op_maps.harness import check


@pytest.mark.parametrize("case", CASES, ids=str)
def test_control(case):
    check(case, "mindspore")
