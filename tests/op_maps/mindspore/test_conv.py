import pytest

from tests.op_maps.cases.conv import CASES
from tests.op_maps.harness import check


@pytest.mark.parametrize("case", CASES, ids=str)
def test_conv(case):
    check(case, "mindspore")
