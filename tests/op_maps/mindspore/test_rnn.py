import pytest

from tests.op_maps.cases.rnn import CASES
from tests.op_maps.harness import check


@pytest.mark.parametrize("case", CASES, ids=str)
def test_rnn(case):
    check(case, "mindspore")
