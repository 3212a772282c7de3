"""The offline bundle: runs with only the target framework and numpy, and reproduces the direct verdicts."""

import json
import subprocess
import sys
import tarfile

import onnx
import pytest

from porter import convert
from porter.validators.bundle import judge_results, write_validate_bundle
from porter.validators.validate import validate
from tests.validators.planted import planted, planted_model

# Run the bundle's runner with everything but the framework and numpy made unimportable: what a
# server with only `pip install paddlepaddle` (or mindspore) and numpy has.
_ONLY_FRAMEWORK = """
import runpy, sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"porter", "onnx", "onnxruntime", "torch", "click", "rich", "matplotlib"}:
            raise ImportError(f"{name} is not installed on the device machine")
sys.meta_path.insert(0, Block())
sys.argv = ["run_bundle.py"]
runpy.run_path("run_bundle.py", run_name="__main__")
"""


@pytest.mark.parametrize("target", ["paddle", "mindspore"])
def test_bundle_runs_without_porter_and_matches_the_direct_run(tmp_path, target):
    onnx.save(planted_model(), tmp_path / "m.onnx")
    with planted(target, "matmul-float16"):  # a failing port: the verdicts have something to say
        convert(str(tmp_path / "m.onnx"), target, tmp_path / "out")
    write_validate_bundle(tmp_path / "out", tmp_path / "m.onnx", tmp_path / "b.tar.gz")
    with tarfile.open(tmp_path / "b.tar.gz") as tar:
        tar.extractall(tmp_path / "device", filter="data")
    root = tmp_path / "device" / "porter-bundle"
    proc = subprocess.run(
        [sys.executable, "-I", "-c", _ONLY_FRAMEWORK], cwd=root, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 1, proc.stderr  # 1: a verdict failed, as it should
    assert "0 of 2 cases pass" in proc.stdout
    from_bundle = judge_results(root / "results.json")
    direct = validate(tmp_path / "out", tmp_path / "m.onnx", layerwise=False)
    verdicts = [[(o["name"], o["passed"], o["reason"]) for o in s["outputs"]] for s in from_bundle["sets"]]
    assert verdicts == [[(o["name"], o["passed"], o["reason"]) for o in s["outputs"]] for s in direct["sets"]]


def test_tampered_results_are_caught(tmp_path):
    onnx.save(planted_model(), tmp_path / "m.onnx")
    convert(str(tmp_path / "m.onnx"), "paddle", tmp_path / "out")
    write_validate_bundle(tmp_path / "out", tmp_path / "m.onnx", tmp_path / "b.tar.gz")
    with tarfile.open(tmp_path / "b.tar.gz") as tar:
        tar.extractall(tmp_path / "device", filter="data")
    root = tmp_path / "device" / "porter-bundle"
    subprocess.run([sys.executable, "run_bundle.py"], cwd=root, check=True, capture_output=True, timeout=300)
    record = json.loads((root / "results.json").read_text())
    record["cases"][0]["verdicts"][0]["passed"] = False
    (root / "results.json").write_text(json.dumps(record))
    with pytest.raises(Exception, match="recorded verdicts differ"):
        judge_results(root / "results.json")
    with pytest.raises(Exception, match="exists"):
        write_validate_bundle(tmp_path / "out", tmp_path / "m.onnx", tmp_path / "b.tar.gz")
