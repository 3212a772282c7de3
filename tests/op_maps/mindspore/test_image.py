import pytest

from tests.op_maps.cases.image import CASES
from tests.op_maps.harness import check


@pytest.mark.parametrize("case", CASES, ids=str)
def test_image(case):
    check(case, "mindspore")
