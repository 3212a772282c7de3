import pytest

from tests.op_maps.cases.quant import CASES
from tests.op_maps.harness import check


@pytest.mark.parametrize("case", CASES, ids=str)
def test_quant(case):
    check(case, "mindspore")
