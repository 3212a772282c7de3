import ast
import json

import pytest

from porter import convert
from porter.errors import PorterError
from porter.validators.taps import TAP, instrument


@pytest.mark.parametrize("target", ["paddle", "mindspore"])
def test_every_mapped_value_is_tapped_once_after_it_is_assigned(tmp_path, target):
    convert("examples/tiny_cnn.onnx", target, tmp_path / "out")
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    code = instrument((tmp_path / "out" / "model.py").read_text(), report["class_name"], report["values"])
    lines = [ln.strip() for ln in code.splitlines()]
    for m in report["values"]:
        tap = f"{m['var']} = {TAP}({m['value']!r}, {m['var']})"
        assert lines.count(tap) == 1
        assigned = next(i for i, ln in enumerate(lines) if ln.startswith(f"{m['var']} = ") and TAP not in ln)
        assert lines[assigned + 1] == tap
    ast.parse(code)
    assert len(report["values"]) == 10  # every node of the example holds a variable


def test_a_hand_edited_model_without_the_class_is_refused():
    with pytest.raises(PorterError, match="no class Net"):
        instrument("class Other:\n    def forward(self, x):\n        return x\n", "Net", [])
