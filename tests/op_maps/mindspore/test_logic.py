import pytest

from tests.op_maps.cases.logic import CASES
from tests.op_maps.harness import check


@pytest.mark.parametrize("case", CASES, ids=str)
def test_logic(case):
    check(case, "mindspore")
