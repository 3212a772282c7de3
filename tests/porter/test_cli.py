"""The CLI's contract: exit codes 0 success, 1 parity failure, 2 conversion failure, 3 usage."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto

from porter.op_maps.paddle import TARGET
from tests.models import elementwise_chain, single_node


def porter_cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "porter.cli", *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300
    )


@pytest.fixture
def chain_file(tmp_path):
    path = tmp_path / "chain.onnx"
    onnx.save(elementwise_chain(), path)
    return path


def test_convert_and_validate_exit_0(chain_file, tmp_path):
    proc = porter_cli("convert", chain_file, "--to", "paddle", "-o", tmp_path / "out", "--validate")
    assert proc.returncode == 0, proc.stderr
    assert "validate: PASS" in proc.stdout
    assert (tmp_path / "out" / "model.py").exists()


def test_validate_detects_tampered_weights_exit_1(chain_file, tmp_path):
    out = tmp_path / "out"
    assert porter_cli("convert", chain_file, "-o", out).returncode == 0
    weight = onnx.numpy_helper.to_array(elementwise_chain().graph.initializer[0])
    TARGET.write_weights({"scale_weight": weight * 1.01}, str(out / "model.npz"))
    proc = porter_cli("validate", out, "--against", chain_file)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAIL" in proc.stdout


def test_unsupported_op_exit_2_names_the_node(tmp_path):
    path = tmp_path / "u.onnx"
    onnx.save(single_node("Add", {"a": TensorProto.UINT32, "b": TensorProto.UINT32}, {"y": TensorProto.UINT32}), path)
    proc = porter_cli("convert", path, "-o", tmp_path / "out")
    assert proc.returncode == 2
    assert "uint32" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_missing_file_exit_2(tmp_path):
    proc = porter_cli("convert", tmp_path / "nope.onnx", "-o", tmp_path / "out")
    assert proc.returncode == 2
    assert "no such file" in proc.stderr


def test_usage_errors_exit_3(chain_file, tmp_path):
    assert porter_cli("convert", chain_file).returncode == 3  # missing -o
    assert porter_cli("convert", chain_file, "--to", "tensorflow", "-o", tmp_path / "o").returncode == 3
    assert porter_cli("no-such-command").returncode == 3


def test_existing_output_needs_force_exit_3(chain_file, tmp_path):
    out = tmp_path / "out"
    assert porter_cli("convert", chain_file, "-o", out).returncode == 0
    proc = porter_cli("convert", chain_file, "-o", out)
    assert proc.returncode == 3 and "--force" in proc.stderr
    assert porter_cli("convert", chain_file, "-o", out, "--force").returncode == 0


def test_help_explains_exit_codes():
    proc = porter_cli("--help")
    assert proc.returncode == 0
    assert "Exit codes" in proc.stdout


def test_ops_json_lists_mapped_versions():
    proc = porter_cli("ops", "--to", "paddle", "--format", "json")
    assert proc.returncode == 0
    rows = {r["op_type"]: r for r in json.loads(proc.stdout)["ops"]}
    assert rows["Add"]["targets"]["paddle"] == rows["Add"]["versions"]


def test_validate_random_inputs_respect_dtype(tmp_path):
    from porter.validators.parity import random_inputs

    arrays = random_inputs(elementwise_chain(), seed=3)
    assert arrays[0].dtype == np.float32 and arrays[0].shape == (2, 4, 8)


def test_export_inference_is_written_and_checked(chain_file, tmp_path):
    out = tmp_path / "out"
    proc = porter_cli("convert", chain_file, "-o", out, "--export", "inference")
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["static_export"]["max_abs_vs_generated"] <= 1e-6
    assert (out / "inference" / "model.pdiparams").exists()


def test_export_kind_must_match_target(chain_file, tmp_path):
    proc = porter_cli("convert", chain_file, "-o", tmp_path / "out", "--export", "mindir")
    assert proc.returncode == 3, proc.stderr  # a usage error, as the README says
    assert "use --export inference with --to paddle" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_validate_reports_a_crashing_port_as_a_failed_verdict(chain_file, tmp_path):
    out = tmp_path / "out"
    assert porter_cli("convert", chain_file, "-o", out).returncode == 0
    code = (out / "model.py").read_text()
    (out / "model.py").write_text(
        code.replace("    def forward(self, x):", "    def forward(self, x):\n        import os\n        os.abort()")
    )
    proc = porter_cli("validate", out, "--against", chain_file)
    assert proc.returncode == 1, proc.stderr
    assert "killed by SIGABRT" in proc.stdout


def test_debug_shows_the_traceback_only_when_asked(tmp_path):
    missing = tmp_path / "nope.onnx"
    quiet = porter_cli("convert", missing, "-o", tmp_path / "out")
    loud = porter_cli("--debug", "convert", missing, "-o", tmp_path / "out")
    assert "Traceback" not in quiet.stderr and quiet.returncode == 2
    assert "Traceback" in loud.stderr and "InvalidModel" in loud.stderr


def test_mindspore_cnn_converts_validates_and_exports_mindir(tmp_path):
    example = Path(__file__).resolve().parents[2] / "examples" / "tiny_cnn.onnx"
    out = tmp_path / "out"
    proc = porter_cli("convert", example, "--to", "mindspore", "-o", out, "--validate", "--export", "mindir")
    assert proc.returncode == 0, proc.stderr
    assert "validate: PASS" in proc.stdout
    report = json.loads((out / "report.json").read_text())
    assert report["static_export"]["files"] == ["mindir/model.mindir"]
    assert report["static_export"]["max_abs_vs_generated"] <= 1e-6
    code = (out / "model.py").read_text()
    assert "class TinyCnn(nn.Cell)" in code and "nn.Conv2d(3, 8" in code


def _hostile_names_model():
    """Relu whose node and output names carry rich markup and terminal control sequences, then an op no
    target maps (so inspect lists it as blocked)."""
    fake = "\x1b[2J\x1b[Hready to convert"
    nodes = [
        onnx.helper.make_node("Relu", ["x"], ["[/]y\x1b[31m"], name=f"relu{fake}"),
        onnx.helper.make_node("Neg", ["[/]y\x1b[31m"], ["z[/]"], name="[bold]neg"),
    ]
    graph = onnx.helper.make_graph(
        nodes, "g[/]", [onnx.helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
        [onnx.helper.make_tensor_value_info("z[/]", TensorProto.FLOAT, [2, 3])],
    )  # fmt: skip
    return onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 17)])


@pytest.mark.parametrize("target", ["paddle", "mindspore"])
def test_markup_and_escapes_in_names_are_shown_not_obeyed(tmp_path, target):
    path = tmp_path / "m[red]x.onnx"
    onnx.save(_hostile_names_model(), path)
    out = tmp_path / "out"
    proc = porter_cli("convert", path, "--to", target, "-o", out)
    assert proc.returncode == 0, proc.stderr
    proc = porter_cli(
        "validate", out, "--against", path, "--json", tmp_path / "r.json", "--report", tmp_path / "r.html"
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr  # a MarkupError here lost the whole validation
    assert "\x1b" not in proc.stdout and "z[/]" in proc.stdout
    assert json.loads((tmp_path / "r.json").read_text())["passed"] and (tmp_path / "r.html").exists()
    proc = porter_cli("inspect", path, "--to", target)
    assert proc.returncode == 0 and "\x1b" not in proc.stdout


def _blocked_model():
    """The same, its second node a custom-domain op no target maps."""
    model = _hostile_names_model()
    model.graph.node[1].op_type, model.graph.node[1].domain = "NoSuchOp", "com.example"
    model.opset_import.append(onnx.helper.make_opsetid("com.example", 1))
    return model


def test_inspect_shows_an_escape_in_a_blocked_node_literally(tmp_path):
    model = _blocked_model()
    model.graph.node[1].name = "\x1b[2J\x1b[Hready to convert"
    onnx.save(model, tmp_path / "m.onnx")
    for fmt in ("table", "md"):
        proc = porter_cli("inspect", tmp_path / "m.onnx", "--format", fmt)
        assert proc.returncode == 2 and "\x1b" not in proc.stdout, proc.stdout
        assert "\\x1b[Hready to convert" in proc.stdout


def test_an_unmapped_op_says_what_to_do_next(tmp_path):
    onnx.save(_blocked_model(), tmp_path / "m.onnx")
    proc = porter_cli("convert", tmp_path / "m.onnx", "-o", tmp_path / "out")
    assert proc.returncode == 2
    assert "next: `porter inspect" in proc.stderr and "--to paddle`" in proc.stderr
    assert "registry.register('NoSuchOp') in op_maps/paddle/" in proc.stderr and "\x1b" not in proc.stderr


def test_a_python_file_without_its_factory_says_how_to_name_it(tmp_path):
    (tmp_path / "mod.py").write_text("def make():\n    pass\n")
    proc = porter_cli("convert", tmp_path / "mod.py", "-o", tmp_path / "out")
    assert proc.returncode == 2 and "a Python file, not an ONNX model" in proc.stderr
    assert "mod.py:FUNCTION" in proc.stderr
