"""Atomic output: an interrupted or killed conversion leaves the previous OUT as it was."""

import shutil
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
        # as in a terminal: a job started in the background (nohup, `&` in a script) inherits SIGINT ignored
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
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
    for _ in range(3):  # on a loaded machine the write can finish before the signal lands: try again
        out = _previous_out(tmp_path)
        code = _interrupt_while_writing(heavy_model, out, sig)
        if code != 0:
            break
        assert (out / "report.json").is_file()  # then OUT is the whole new conversion, never a part of it
        shutil.rmtree(out)
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


# ---- two processes converting into one OUT -----------------------------------------------------------

_RACE = """
import sys
from pathlib import Path
from porter.errors import OutputExists
from porter.output import atomic_directory

out, tag, runs, force = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4] == "force"
won = lost = 0
for run in range(runs):
    try:
        with atomic_directory(out, force=force) as tmp:
            for name in ("model.py", "model.npz", "report.json"):  # a complete OUT, tagged by its writer
                (tmp / name).write_text(f"{tag} {run}")
        won += 1
    except OutputExists as exc:
        assert "another conversion wrote it" in str(exc) or "not empty" in str(exc), exc
        lost += 1
print(won, lost)
"""


def _race(tmp_path, runs: int, force: bool):
    out = tmp_path / "out"
    procs = [
        subprocess.Popen([sys.executable, "-c", _RACE, str(out), tag, str(runs), "force" if force else "no"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for tag in ("a", "b")
    ]  # fmt: skip
    results = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=600)
        assert proc.returncode == 0, stderr
        results.append(tuple(map(int, stdout.split())))
    # OUT is one writer's complete output, and nothing else is left beside it
    texts = {(out / name).read_text() for name in ("model.py", "model.npz", "report.json")}
    assert len(texts) == 1 and sorted(p.name for p in out.iterdir()) == ["model.npz", "model.py", "report.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    return results


def test_two_processes_replacing_one_out_both_complete(tmp_path):
    assert _race(tmp_path, 20, force=True) == [(20, 0), (20, 0)]


def test_without_force_the_later_writer_is_told_clearly(tmp_path):
    (won_a, lost_a), (won_b, lost_b) = _race(tmp_path, 20, force=False)
    assert won_a + won_b == 1 and lost_a + lost_b == 39  # the first swap wins; every other run is refused


@pytest.mark.slow
def test_two_processes_replacing_one_out_100_times(tmp_path):
    assert _race(tmp_path, 100, force=True) == [(100, 0), (100, 0)]


def test_two_conversions_into_one_out_through_the_python_api(tmp_path):
    from tests.models import elementwise_chain

    onnx.save(elementwise_chain(), tmp_path / "chain.onnx")
    code = "import sys, porter\nfor _ in range(3): porter.convert(sys.argv[1], 'paddle', sys.argv[2], force=True)"
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "chain.onnx"), str(tmp_path / "out")],
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]  # fmt: skip
    for proc in procs:
        assert proc.wait(timeout=600) == 0, proc.stderr.read()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chain.onnx", "out"]
    assert {"model.py", "model.npz", "report.json"} <= {p.name for p in (tmp_path / "out").iterdir()}


@pytest.mark.parametrize("target", ["paddle", "mindspore"])
def test_a_full_disk_while_converting_is_one_line_and_leaves_the_previous_out(tmp_path, target):
    import resource

    weight = np.ones((4, 256, 1024), np.float32)  # 4 MiB of weights: more than the 1 MiB limit below
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "w"], ["y"])], "big",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 256, 1024])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 256, 1024])],
        initializer=[numpy_helper.from_array(weight, "w")],
    )  # fmt: skip
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), tmp_path / "big.onnx")
    out = _previous_out(tmp_path)

    def limit():  # `ulimit -f 1024`: a write past 1 MiB fails with EFBIG, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (2**20, 2**20))

    proc = subprocess.run(
        [sys.executable, "-m", "porter.cli", "convert", str(tmp_path / "big.onnx"), "--to", target, "-o", str(out),
         "--force"], capture_output=True, text=True, timeout=600, preexec_fn=limit,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "file too large" in proc.stderr and "porter bug" not in proc.stderr
    assert (out / "model.py").read_text() == "# the previous conversion\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.onnx", "out"]
