"""The nine model-zoo CNNs from the onnx wheel convert and match their expected outputs on Paddle."""

import pytest

from porter.conformance import run_conformance
from porter.zoo import ZOO_MODELS, zoo_cases

# Cheap enough for CI on two cores; the rest run with -m slow (or `porter conformance --zoo`).
CI_MODELS = ["squeezenet", "bvlc_alexnet"]


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=() if n in CI_MODELS else pytest.mark.slow) for n in sorted(ZOO_MODELS)]
)
def test_zoo_model_matches_expected_output(name):
    summary = run_conformance("paddle", zoo_cases([name]), jobs=1, timeout=600)
    (result,) = summary.results
    assert result.status == "passed", f"{result.status}: {result.detail}"
