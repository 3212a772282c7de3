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


@pytest.mark.parametrize("target", ["paddle", "mindspore"])
def test_dropout_mask_is_bool_from_opset_10_and_the_input_dtype_before(target):
    import numpy as np

    from porter.convert import generate
    from tests.op_maps.harness import NodeCase, build_model

    x = np.ones((2, 3), np.float32)
    for opset, is_bool in ((9, False), (13, True)):
        _, code = generate(build_model(NodeCase("d", "Dropout", {"x": x}, n_outputs=2, opset=opset)), target)
        assert ("bool" in code) == is_bool, code
