import pytest

from tests.op_maps.cases.shape import CASES
from tests.op_maps.harness import check


@pytest.mark.parametrize("case", CASES, ids=str)
def test_shape(case):
    check(case, "mindspore")
