"""Planted faults: one mapping deliberately wrong; validation must fail and name that exact node."""

import onnx
import pytest

from porter import convert
from porter.validators.layerwise import expose_values
from porter.validators.validate import validate
from tests.validators.planted import FAULTS, planted, planted_model

TARGETS = ["paddle", "mindspore"]


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    path = tmp_path_factory.mktemp("planted") / "planted.onnx"
    onnx.save(planted_model(), path)
    return path


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_planted_fault_is_caught_and_its_node_named(tmp_path, source, target, fault):
    with planted(target, fault):
        convert(str(source), target, tmp_path / "out")
    result = validate(tmp_path / "out", source)
    assert not result["passed"]
    search = result["layerwise"]
    assert search["first_kernel_error"]["node"] == FAULTS[fault][2], search["conclusion"]
    assert search["conclusion"].startswith("kernel error")
    rows = {r["node"]: r for r in search["rows"]}
    # the node after the faulty one is wrong in the free run only: its own kernel is fine
    assert not rows["act"]["free"]["passed"] and rows["act"]["forced"]["passed"]
    depth = [r["free"]["scaled_error"] for r in search["rows"]]
    assert depth[[r["node"] for r in search["rows"]].index(FAULTS[fault][2])] > 1e-4


@pytest.mark.parametrize("target", TARGETS)
def test_the_correct_mapping_passes_at_two_shapes(tmp_path, source, target):
    convert(str(source), target, tmp_path / "out")
    result = validate(tmp_path / "out", source)
    assert result["passed"], [o["reason"] for s in result["sets"] for o in s["outputs"]]
    assert [s["inputs"][0]["shape"] for s in result["sets"]] == [[2, 4, 8], [3, 4, 8]]
    assert result["layerwise"] is None  # nothing failed: no search


def test_exposed_values_become_the_graph_outputs():
    exposed = expose_values(planted_model(), ["normed", "reordered"])
    assert [o.name for o in exposed.graph.output] == ["normed", "reordered"]
