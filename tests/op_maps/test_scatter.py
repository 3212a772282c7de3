"""op_maps/_scatter.py's helper, filled with a vocabulary over VOCABULARY, is valid Python with no hole left
(its numbers are checked per target by tests/op_maps/<target>/test_index.py)."""

import ast

import pytest

from porter.op_maps._scatter import HELPER_SOURCE, VOCABULARY, register
from porter.registry import Registry
from porter.semantics import vocabulary


@pytest.mark.parametrize("calls", ["paddle", "ops"])
def test_helper_fills(calls):
    source = HELPER_SOURCE.format(**vocabulary(calls, VOCABULARY))
    assert "{" not in source
    assert [f.name for f in ast.parse(source).body] == ["_tensor_scatter"]


def test_register_lists_tensor_scatter_under_the_target_module():
    registry = Registry("probe")
    register(registry.register, "porter.op_maps.probe.index", {}, dtypes={"float32"})
    mapping = registry.ops()["TensorScatter"][-1]
    assert (mapping.module, mapping.emit.__name__, mapping.dtypes) == ("index", "tensor_scatter", {"float32"})
