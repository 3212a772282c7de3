import pytest

from tests.op_maps.cases.activation import CASES
from tests.op_maps.harness import check


@pytest.mark.parametrize("case", CASES, ids=str)
def test_activation(case):
    check(case, "mindspore")
