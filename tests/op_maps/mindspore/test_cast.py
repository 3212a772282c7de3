import pytest

from tests.op_maps.cases.cast import CASES
from tests.op_maps.harness import check


@pytest.mark.parametrize("case", CASES, ids=str)
def test_cast(case):
    check(case, "mindspore")
