"""Atomic output: an interrupted or killed conversion leaves the previous OUT as it was."""

import signal
import subprocess
import sys
import time

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from porter.output import atomic_directory


@pytest.fixture(scope="module")
def heavy_model(tmp_path_factory):
    """One Add with a 256 MiB weight: writing it takes long enough to interrupt."""
    path = tmp_path_factory.mktemp("heavy") / "heavy.onnx"
    weight = np.ones((64, 1024, 1024), np.float32)
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "w"], ["y"])],
        "heavy",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [64, 1024, 1024])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [64, 1024, 1024])],
        initializer=[numpy_helper.from_array(weight, "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, path, save_as_external_data=True, location="heavy.bin", size_threshold=0)
    return path


def _previous_out(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "model.py").write_text("# the previous conversion\n")
    return out


def _interrupt_while_writing(model, out, sig):
    proc = subprocess.Popen(
        [sys.executable, "-m", "porter.cli", "convert", str(model), "-o", str(out), "--force"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if any(p.name.startswith(".out.porter-") for p in out.parent.iterdir()):
            proc.send_signal(sig)
            break
        if proc.poll() is not None:
            pytest.fail(f"conversion finished before it could be interrupted: {proc.stderr.read()}")
        time.sleep(0.005)
    return proc.wait(timeout=120)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_conversion_leaves_out_and_no_partial_directory(heavy_model, tmp_path, sig):
    out = _previous_out(tmp_path)
    code = _interrupt_while_writing(heavy_model, out, sig)
    assert code != 0
    assert (out / "model.py").read_text() == "# the previous conversion\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_killed_conversion_leaves_out_and_the_next_run_cleans_up(heavy_model, tmp_path):
    out = _previous_out(tmp_path)
    assert _interrupt_while_writing(heavy_model, out, signal.SIGKILL) == -signal.SIGKILL
    assert (out / "model.py").read_text() == "# the previous conversion\n"
    leftovers = [p for p in tmp_path.iterdir() if p.name != "out"]
    assert leftovers and all(p.name.startswith(".out.porter-") for p in leftovers)
    with atomic_directory(out, force=True) as tmp:
        (tmp / "model.py").write_text("# new\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert (out / "model.py").read_text() == "# new\n"
