"""porter/semantics/attention.py: the helper's holes are exactly VOCABULARY, and Attention registers in a
target's name."""

import ast

from porter.registry import Registry
from porter.semantics import vocabulary
from porter.semantics.attention import VOCABULARY, attention_helper, register_attention


def test_every_hole_of_the_helper_is_in_the_vocabulary():
    source = attention_helper(vocabulary("probe", VOCABULARY))
    assert "{" not in source.replace("{}", "")
    assert [f.name for f in ast.parse(source).body] == ["_onnx_attention"]


def test_attention_registers_under_the_target_module():
    registry = Registry("probe")
    register_attention(registry.register, "porter.op_maps.probe.attention", {}, dtypes={"float32"})
    mapping = registry.ops()["Attention"][-1]
    assert (mapping.module, mapping.emit.__name__) == ("attention", "attention")
    assert mapping.summary.startswith("ONNX's definition step by step")
