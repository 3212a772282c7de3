"""Slice bounds as a person writes them, and only where the slice stays the same."""

import numpy as np
import pytest

from porter.codegen.statements import Statement
from porter.codegen.tidy import UNBOUNDED_END, tidy


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("y = x[:, :, :, 4:4611686018427387904:1]", "y = x[:, :, :, 4:]"),
        ("y = x[0:4:1]", "y = x[:4]"),
        ("y = x[n:m:1]", "y = x[n:m]"),
        ("y = x[0:9223372036854775807:2]", "y = x[::2]"),
        # a negative step: an absent end means "to the front", a large one does not
        ("y = x[5:9223372036854775807:-1]", "y = x[5:9223372036854775807:-1]"),
        # an end a large tensor could reach stays
        ("y = x[0:2147483647]", "y = x[:2147483647]"),
    ],
)
def test_constant_slice_bounds_are_left_out_where_python_means_the_same(before, after):
    assert tidy(Statement.one(before)).render() == after


def test_the_tidied_slices_select_the_same_elements():
    x = np.arange(40).reshape(5, 8)
    assert np.array_equal(x[:, 4:UNBOUNDED_END:1], x[:, 4:])
    assert np.array_equal(x[0:4:1], x[:4])
    assert np.array_equal(x[0 : (1 << 63) - 1 : 2], x[::2])
    assert not np.array_equal(x[3 : (1 << 63) - 1 : -1], x[3::-1])  # why a negative step is left alone
