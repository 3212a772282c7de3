"""`porter validate` end to end: verdicts, exit codes, the JSON and the HTML report."""

import base64
import json
from html.parser import HTMLParser

import numpy as np
import onnx
import pytest

from porter import convert
from tests.porter.test_cli import porter_cli
from tests.validators.planted import planted, planted_model


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.pngs, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        src = dict(attrs).get("src", "")
        if tag == "img" and src.startswith("data:image/png;base64,"):
            self.pngs.append(base64.b64decode(src.split(",", 1)[1]))


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faulty")
    onnx.save(planted_model(), tmp / "planted.onnx")
    with planted("paddle", "gather-axis"):
        convert(str(tmp / "planted.onnx"), "paddle", tmp / "out")
    return tmp


def test_a_failed_validation_exits_1_and_writes_json_and_html(faulty):
    html_path, json_path = faulty / "r.html", faulty / "r.json"
    proc = porter_cli(
        "validate", faulty / "out", "--against", faulty / "planted.onnx", "--report", html_path, "--json", json_path
    )
    assert proc.returncode == 1, proc.stderr
    assert "kernel error: reorder (Gather" in proc.stdout and "validate: FAIL" in proc.stdout
    result = json.loads(json_path.read_text())
    assert result["layerwise"]["first_kernel_error"]["node"] == "reorder"
    parser = _Images()
    parser.feed(html_path.read_text())
    # one error histogram per output per input set (2), and the error-along-depth plot
    assert len(parser.pngs) == 3 and all(p.startswith(b"\x89PNG\r\n\x1a\n") for p in parser.pngs)
    assert parser.tags.count("table") == 3 and "reorder" in html_path.read_text()


def test_user_inputs_and_a_profile_file_are_used(tmp_path):
    onnx.save(planted_model(), tmp_path / "m.onnx")
    convert(str(tmp_path / "m.onnx"), "paddle", tmp_path / "out")
    np.savez(tmp_path / "in.npz", x=np.ones((5, 4, 8), np.float32))
    profile = {"cpu": {"float32": {"atol": 0, "rtol": 0, "outlier_fraction": 0, "golden_ratio": {"mare": 0.0}}}}
    (tmp_path / "p.json").write_text(json.dumps(profile))
    ok = porter_cli("validate", tmp_path / "out", "--against", tmp_path / "m.onnx", "--inputs", tmp_path / "in.npz")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "in.npz (float32[5, 4, 8])" in ok.stdout
    strict = porter_cli(
        "validate",
        tmp_path / "out",
        "--against",
        tmp_path / "m.onnx",
        "--profile",
        tmp_path / "p.json",
        "--no-layerwise",
    )
    assert strict.returncode in (0, 1) and "p.json:cpu" in strict.stdout


def test_a_bad_profile_or_inputs_file_is_a_clear_error(tmp_path):
    onnx.save(planted_model(), tmp_path / "m.onnx")
    convert(str(tmp_path / "m.onnx"), "paddle", tmp_path / "out")
    bad = porter_cli("validate", tmp_path / "out", "--against", tmp_path / "m.onnx", "--profile", "tpu")
    assert bad.returncode == 3 and "unknown profile 'tpu'" in bad.stderr
    np.savez(tmp_path / "in.npz", y=np.ones(3))
    missing = porter_cli(
        "validate", tmp_path / "out", "--against", tmp_path / "m.onnx", "--inputs", tmp_path / "in.npz"
    )
    assert missing.returncode == 2 and "no array for model input 'x'" in missing.stderr


def test_a_pytorch_conversion_is_validated_against_pytorch_itself(tmp_path):
    from tests.porter.frontends.test_torch_source import FACTORIES

    spec = f"{FACTORIES}:make"
    convert(spec, "paddle", tmp_path / "out", dynamic=["batch"])
    proc = porter_cli("validate", tmp_path / "out", "--json", tmp_path / "r.json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["source_runner"] == "PyTorch" and result["source"] == spec
    assert [s["inputs"][0]["shape"][0] for s in result["sets"]] == [2, 3]  # two batch sizes, one conversion
    assert "golden" in result and result["golden"].startswith("onnx.reference")
