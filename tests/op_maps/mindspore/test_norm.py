import pytest

from tests.op_maps.cases.norm import CASES
from tests.op_maps.harness import check


@pytest.mark.parametrize("case", CASES, ids=str)
def test_norm(case):
    check(case, "mindspore")
