import pytest

from tests.op_maps.cases.signal import CASES
from tests.op_maps.harness import check


@pytest.mark.parametrize("case", CASES, ids=str)
def test_signal(case):
    check(case, "mindspore")
