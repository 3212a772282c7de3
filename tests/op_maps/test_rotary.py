"""op_maps/_rotary.py's helper, filled with each target's vocabulary, is valid Python with no hole left
(its numbers are checked per target by tests/op_maps/<target>/test_attention.py)."""

import ast

import pytest

from porter.op_maps._rotary import HELPER_SOURCE, VOCABULARY, register
from porter.registry import Registry
from porter.semantics import vocabulary


@pytest.mark.parametrize("calls", ["paddle", "ops"])
def test_helper_fills(calls):
    source = HELPER_SOURCE.format(**vocabulary(calls, VOCABULARY))
    assert "{" not in source
    assert [f.name for f in ast.parse(source).body] == ["_rotary_embedding"]


def test_register_lists_rotary_embedding_under_the_target_module():
    registry = Registry("probe")
    register(registry.register, "porter.op_maps.probe.attention", "probe", dtypes={"float32"})
    mapping = registry.ops()["RotaryEmbedding"][-1]
    assert (mapping.module, mapping.emit.__name__, mapping.dtypes) == ("attention", "rotary_embedding", {"float32"})
