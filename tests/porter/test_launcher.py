"""Every process porter starts runs isolated: modules in the working directory never run.

The hostile folder holds a click.py, numpy.py, paddle.py, ... that each leave a marker file when
imported. Before the launcher, `python -m porter.weights` (and the other helpers) put the working
directory first on sys.path, so running porter from such a folder ran them.
"""

import subprocess
import sys

import numpy as np
import onnx
import pytest

from porter import launcher
from tests.models import elementwise_chain
from tests.porter.frontends.test_torch_source import FACTORIES

SHADOWED = ["click", "numpy", "paddle", "mindspore", "torch", "onnx", "onnxruntime", "rich", "porter", "google"]
_HOSTILE = """
import os
open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "RAN-" + __name__), "w").close()
raise ImportError("the hostile " + __name__ + " ran")
"""


@pytest.fixture
def hostile(tmp_path):
    folder = tmp_path / "hostile"
    folder.mkdir()
    for name in SHADOWED:
        (folder / f"{name}.py").write_text(_HOSTILE)
    return folder


def _porter(folder, *args, timeout=600):
    """porter as its console script runs it: the script's folder, not the working directory, on sys.path (-P)."""
    return subprocess.run(
        [sys.executable, "-P", "-m", "porter.cli", *map(str, args)],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _ran(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("RAN-"))


def test_the_launcher_runs_installed_porter_isolated(hostile):
    code = "import sys, porter; print(porter.__file__); print('' in sys.path or '.' in sys.path)"
    proc = launcher.run(launcher.python_command(None, code=code), "probe", timeout=60, cwd=hostile)
    found, cwd_on_path = proc.stdout.split()
    assert not found.startswith(str(hostile)) and cwd_on_path == "False"  # the editable install still resolves
    assert _ran(hostile) == []
    with pytest.raises(launcher.HelperFailed, match="probe failed: .*ZeroDivisionError"):
        launcher.run(launcher.python_command(None, code="1/0"), "probe", timeout=60)
    with pytest.raises(launcher.HelperFailed, match="probe did not finish within 1s"):
        launcher.run(launcher.python_command(None, code="import time; time.sleep(30)"), "probe", timeout=1)
    with pytest.raises(launcher.HelperFailed, match="probe was killed by SIGKILL"):
        launcher.run(launcher.python_command(None, code="import os; os.kill(os.getpid(), 9)"), "probe", timeout=60)
    refusal = f"import sys; print('{launcher.ERROR_PREFIX}bad file', file=sys.stderr); sys.exit(2)"
    with pytest.raises(launcher.HelperFailed, match="^bad file$"):
        launcher.run(launcher.python_command(None, code=refusal), "probe", timeout=60)


@pytest.mark.parametrize("target", ["paddle", "mindspore"])
def test_convert_export_and_validate_from_a_hostile_folder(hostile, tmp_path, target):
    onnx.save(elementwise_chain(), tmp_path / "chain.onnx")
    export = "inference" if target == "paddle" else "mindir"
    proc = _porter(hostile, "convert", tmp_path / "chain.onnx", "--to", target, "-o", tmp_path / "out",
                   "--export", export, "--validate")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert _ran(hostile) == []


def test_a_pytorch_factory_and_its_checkpoint_from_a_hostile_folder(hostile, tmp_path):
    out = tmp_path / "out"
    proc = _porter(hostile, "convert", f"{FACTORIES}:make", "-o", out)
    assert proc.returncode == 0, proc.stderr
    save = "import sys, torch; sys.path.append(sys.argv[1]); from torch_factories import make; "
    save += "torch.save(make()[0].state_dict(), sys.argv[2])"
    subprocess.run([sys.executable, "-I", "-c", save, FACTORIES.parent, tmp_path / "ft.pt"], check=True, timeout=300)
    for name in ("tuned.npz", "tuned.pdparams"):  # torch.load and paddle.save: two more helpers
        proc = _porter(hostile, "weights", tmp_path / "ft.pt", "--map", out / "report.json", "-o", tmp_path / name)
        assert proc.returncode == 0, proc.stderr
    assert _ran(hostile) == []


def test_a_module_factory_spec_is_found_in_the_working_directory_without_shadowing(hostile, tmp_path):
    # the user's own package in the working directory is still importable (appended, after site-packages)
    (hostile / "mymodels.py").write_text(FACTORIES.read_text())
    proc = _porter(hostile, "inspect", "mymodels:make")
    assert proc.returncode == 0, proc.stderr
    assert _ran(hostile) == []


def test_workers_from_a_hostile_folder(hostile):
    proc = _porter(hostile, "kernels", "--ops", "Relu", "--dtype", "fp32", "--jobs", "1")
    assert proc.returncode == 0, proc.stderr
    proc = _porter(hostile, "conformance", "--filter", "Relu", "--jobs", "1")
    assert proc.returncode == 0, proc.stderr
    assert _ran(hostile) == []


def test_arguments_with_spaces_and_non_ascii_reach_the_helper(tmp_path):
    # the launcher passes arguments as text: paths with spaces and non-ASCII survive
    folder = tmp_path / "a folder é"
    folder.mkdir()
    np.save(folder / "x.npy", np.arange(3))
    code = "import sys, numpy as np; print(np.load(sys.argv[1]).sum())"
    proc = launcher.run(launcher.python_command(None, folder / "x.npy", code=code), "probe", timeout=60)
    assert proc.stdout.strip() == "3"
