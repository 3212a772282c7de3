"""op_maps/_scatter.py's helper, filled with each target's vocabulary, is valid Python with no hole left
(its numbers are checked per target by tests/op_maps/<target>/test_index.py)."""

import ast

import pytest

from porter.op_maps._scatter import HELPER_SOURCE


@pytest.mark.parametrize("target", ["paddle", "mindspore"])
def test_helper_fills(target):
    from importlib import import_module

    vocab = import_module(f"porter.op_maps.{target}.index")._SCATTER_VOCAB
    source = HELPER_SOURCE.format(**vocab)
    assert "{" not in source
    assert [f.name for f in ast.parse(source).body] == ["_tensor_scatter"]
