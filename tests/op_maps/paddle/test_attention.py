import pytest

from tests.op_maps.cases.attention import CASES
from tests.op_maps.harness import check


@pytest.mark.parametrize("case", CASES, ids=str)
def test_attention(case):
    check(case, "paddle")
