"""register_recurrences: one reading of LSTM / GRU / RNN, registered in a target's name."""

import pytest

from porter.registry import Registry
from porter.semantics.rnn import VOCABULARY, register_recurrences, vocabulary


def test_the_three_recurrences_register_as_the_calling_module():
    registry = Registry("probe")
    register_recurrences(registry.register, {}, lambda rec, params: "Layer()", "porter.op_maps.probe.rnn")
    ops = registry.ops()
    assert set(ops) == {"LSTM", "GRU", "RNN"}
    for op_type, mappings in ops.items():
        for mapping in mappings:
            assert mapping.module == "rnn" and mapping.emit.__name__ == op_type.lower()
            assert mapping.dtypes == {"float32", "float64"}
    # each op has its own function (its own docstring), not one shared object
    assert len({mappings[0].emit for mappings in ops.values()}) == 3
    assert ops["GRU"][0].summary.startswith("nn.GRU for linear_before_reset=1")


def test_a_vocabulary_spells_every_call_and_only_known_ones():
    vocab = vocabulary("ops", clip="ops.clamp")
    assert set(vocab) == set(VOCABULARY)
    assert vocab["clip"] == "ops.clamp" and vocab["matmul"] == "ops.matmul"
    with pytest.raises(ValueError, match="clamp"):
        vocabulary("ops", clamp="ops.clamp")
