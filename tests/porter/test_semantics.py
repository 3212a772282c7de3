"""porter/semantics.py's table helpers: a shared emitter registered in a target's name, a target's vocabulary."""

import pytest

from porter.registry import Registry
from porter.semantics import register_emitter, vocabulary


def test_a_shared_emitter_is_listed_under_the_target_module():
    registry = Registry("probe")

    def emit(n):
        return "x"

    register_emitter(registry.register, "Relu", emit, module="porter.op_maps.probe.activation", doc="probe.relu")
    (mapping,) = registry.ops()["Relu"][:1]
    assert (mapping.module, mapping.summary, mapping.emit.__name__) == ("activation", "probe.relu", "relu")


def test_a_vocabulary_prefixes_every_name_but_the_spelled_ones():
    assert vocabulary("ops", ("matmul", "tensor"), tensor="mindspore.Tensor") == {
        "matmul": "ops.matmul",
        "tensor": "mindspore.Tensor",
    }
    with pytest.raises(ValueError, match="tensr"):
        vocabulary("ops", ("matmul", "tensor"), tensr="mindspore.Tensor")
