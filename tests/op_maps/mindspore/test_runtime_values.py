import numpy as np

import porter
from tests.op_maps.harness import NodeCase, build_model

X = np.ones((2, 3), np.float32)


def _warnings(case):
    program, _ = porter.generate(build_model(case), "mindspore")
    return program.warnings


def test_constant_axes_are_literals_without_warning():
    case = NodeCase("c", "ReduceSum", {"x": X, "a": np.array([1], np.int64)}, consts=("a",))
    assert _warnings(case) == []


def test_run_time_axes_warn_that_the_model_needs_pynative_mode():
    case = NodeCase("r", "ReduceSum", {"x": X, "a": np.array([1], np.int64)})
    (warning,) = _warnings(case)
    assert "read at run time" in warning and "PYNATIVE_MODE only" in warning


def test_eager_only_model_refuses_to_load_under_graph_mode(tmp_path):
    import json
    import subprocess
    import sys

    case = NodeCase("r", "ReduceSum", {"x": X, "a": np.array([1], np.int64)})
    porter.convert(build_model(case), "mindspore", tmp_path / "out")
    assert json.loads((tmp_path / "out" / "report.json").read_text())["eager_only"]
    script = (
        "import mindspore, porter\n"
        "mindspore.set_context(mode=mindspore.GRAPH_MODE)\n"
        f"porter.load({str(tmp_path / 'out')!r})\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0 and "run it in PYNATIVE_MODE" in proc.stderr
