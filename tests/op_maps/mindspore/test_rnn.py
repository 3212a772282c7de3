import pytest

from porter.convert import generate
from tests.op_maps.cases.rnn import CASES, LAYER_CASES
from tests.op_maps.harness import build_model, check

_LAYERS = {"LSTM": "nn.LSTM(", "GRU": "nn.GRU(", "RNN": "nn.RNN("}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_rnn(case):
    check(case, "mindspore")


@pytest.mark.parametrize("case", [c for c in CASES if c.refuse is None], ids=str)
def test_the_framework_layer_where_it_is_exact(case):
    _, code = generate(build_model(case), "mindspore")
    assert (_LAYERS[case.op_type] in code) == (case.id in LAYER_CASES), code
    assert ("_onnx_recurrence" in code) == (case.id not in LAYER_CASES)
