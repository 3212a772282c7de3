"""porter.passes.screen: the decision taken on the protos, without onnx_ir (a CNN's convert never imports it)."""

from pathlib import Path

from onnx import helper

from porter.passes.pipeline import porter_passes
from porter.passes.screen import FUSIONS, fusion_enabled, worth_reading
from porter.targets import get_target
from tests.fresh_process import json_result
from tests.porter.passes.builders import model

REGISTRY = get_target("paddle").registry
TINY_CNN = Path(__file__).resolve().parents[3] / "examples" / "tiny_cnn.onnx"


def test_a_cnn_converts_without_importing_onnx_ir(tmp_path):
    script = (
        "import json, sys, porter, porter.cli; porter.convert(sys.argv[1], 'paddle', sys.argv[2]); "
        "print(json.dumps([m in sys.modules for m in ('onnx_ir', 'sympy')]))"
    )
    assert json_result(script, TINY_CNN, tmp_path / "out") == [False, False]


def test_the_fusion_passes_are_the_fusions_screened():
    fused = {p.op_type: p.since for p in porter_passes(REGISTRY) if hasattr(p, "match")}
    assert fused == {op_type: since for op_type, (since, _) in FUSIONS.items()}


def test_a_marker_or_an_identity_is_worth_reading():
    relu = model([helper.make_node("Relu", ["x"], ["y"])])
    assert not worth_reading(relu.graph, REGISTRY)
    sigmoid = model([helper.make_node("Sigmoid", ["x"], ["s"]), helper.make_node("Mul", ["x", "s"], ["y"])])
    assert worth_reading(sigmoid.graph, REGISTRY) == fusion_enabled(REGISTRY, "Swish")  # Sigmoid: a SiLU's marker
    identity = model([helper.make_node("Identity", ["x"], ["i"]), helper.make_node("Relu", ["i"], ["y"])])
    assert worth_reading(identity.graph, REGISTRY)
