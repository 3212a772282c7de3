"""The offline bundle: runs with only the target framework and numpy, and reproduces the direct verdicts."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile

import numpy as np
import onnx
import pytest

from porter import convert
from porter.errors import PorterError
from porter.validators.bundle import ROOT, judge_results, write_validate_bundle
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


# ---- forged, truncated and loosened results files ---------------------------------------------------


@pytest.fixture(scope="module")
def ran_bundle(tmp_path_factory):
    """A paddle bundle made by porter and run by run_bundle.py: (the .tar.gz, the device's folder)."""
    tmp = tmp_path_factory.mktemp("ran")
    onnx.save(planted_model(), tmp / "m.onnx")
    convert(str(tmp / "m.onnx"), "paddle", tmp / "out")
    write_validate_bundle(tmp / "out", tmp / "m.onnx", tmp / "b.tar.gz")
    with tarfile.open(tmp / "b.tar.gz") as tar:
        tar.extractall(tmp / "device", filter="data")
    root = tmp / "device" / ROOT
    subprocess.run([sys.executable, "-I", "run_bundle.py"], cwd=root, check=True, capture_output=True, timeout=300)
    return tmp / "b.tar.gz", root


@pytest.fixture
def device_copy(ran_bundle, tmp_path):
    """A fresh copy of the device's folder, and its results.json as a dict, to forge."""
    root = tmp_path / ROOT
    shutil.copytree(ran_bundle[1], root)
    return root, json.loads((root / "results.json").read_text())


def _forge(root, record, **kwargs):
    (root / "results.json").write_text(json.dumps(record))
    return judge_results(root / "results.json", **kwargs)


def test_an_honest_results_file_is_judged_from_the_bundle_or_beside_it(ran_bundle, device_copy):
    root, record = device_copy
    assert _forge(root, record)["passed"] and _forge(root, record, bundle_path=ran_bundle[0])["passed"]
    moved = root.parent / "elsewhere"  # results.json alone, away from the extracted bundle: --bundle says where
    moved.mkdir()
    shutil.move(root / "results.json", moved / "results.json")
    shutil.move(root / "outputs", moved / "outputs")
    with pytest.raises(PorterError, match="no bundle.json beside it; pass --bundle"):
        judge_results(moved / "results.json")
    assert judge_results(moved / "results.json", bundle_path=ran_bundle[0])["passed"]


def test_dropped_cases_are_refused(device_copy):
    root, record = device_copy
    with pytest.raises(PorterError, match=r"has results for cases \[\], the bundle has \['set0', 'set1'\]"):
        _forge(root, {**record, "cases": []})
    with pytest.raises(PorterError, match=r"missing \['set1'\]"):
        _forge(root, {**record, "cases": record["cases"][:1]})
    record["bundle"]["cases"] = record["bundle"]["cases"][:1]  # dropped from the description as well
    record["cases"] = record["cases"][:1]
    with pytest.raises(PorterError, match=r"differs from the bundle's: cases \['set0'\] instead of"):
        _forge(root, record)


def test_a_loosened_profile_over_corrupted_outputs_is_refused(ran_bundle, device_copy):
    root, record = device_copy
    for row in record["bundle"]["profile"]["rows"].values():
        row.update(atol=10.0, rtol=10.0)
    with np.load(root / "outputs" / "case1.npz") as data:
        np.savez(root / "outputs" / "case1.npz", *[data[k] + 1.0 for k in data.files])
    with pytest.raises(PorterError, match="differs from the bundle's: 'profile'"):
        _forge(root, record)
    # the device's copy of bundle.json loosened too: a shipped profile's rows are porter's own
    (root / "bundle.json").write_text(json.dumps(record["bundle"]))
    with pytest.raises(PorterError, match="profile 'cpu' differs from porter's own"):
        _forge(root, record)
    # against the .tar.gz porter wrote, nothing on the device can change the description
    record["bundle"]["profile"]["name"] = "my-profile"
    (root / "bundle.json").write_text(json.dumps(record["bundle"]))
    with pytest.raises(PorterError, match="'profile'"):
        _forge(root, record, bundle_path=ran_bundle[0])


def test_replaced_files_are_refused(device_copy):
    root, record = device_copy
    with np.load(root / "outputs" / "case1.npz") as data:
        np.savez(root / "outputs" / "case1.npz", *[data[k] * 2 for k in data.files])
    with pytest.raises(PorterError, match="not the outputs file results.json recorded"):
        _forge(root, record)
    with np.load(root / "expected_0.npz") as data:
        np.savez(root / "expected_0.npz", *[data[k] * 2 for k in data.files])
    with pytest.raises(PorterError, match="expected_0.npz is not the file porter packed"):
        _forge(root, record)


@pytest.mark.parametrize("where", ["../../../../etc/passwd", "/etc/passwd", "outputs/../../b.tar.gz", ""])
def test_paths_outside_the_results_folder_are_never_read(device_copy, where):
    root, record = device_copy
    record["cases"][0]["outputs_file"] = where
    with pytest.raises(PorterError, match="inside the bundle|leads outside"):
        _forge(root, record)


def test_a_fifo_is_refused_without_hanging(device_copy):
    root, record = device_copy
    (root / "outputs" / "case1.npz").unlink()
    os.mkfifo(root / "outputs" / "case1.npz")
    with pytest.raises(PorterError, match="not a regular file"):
        _forge(root, record)
    os.mkfifo(root / "fifo.json")
    proc = subprocess.run([sys.executable, "-m", "porter.cli", "report", root / "fifo.json"],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 2 and "not a regular file" in proc.stderr


def test_an_archive_that_inflates_far_beyond_the_expected_outputs_is_not_inflated(device_copy):
    root, record = device_copy
    bomb = root / "outputs" / "case1.npz"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("arr_0.npy", "w") as member:
        np.lib.format.write_array_header_1_0(member, {"descr": "<f4", "fortran_order": False, "shape": (2**26,)})
        for _ in range(16):  # 256 MiB of zeros, a few hundred KiB on disk
            member.write(bytes(2**24))
    assert bomb.stat().st_size < 2**20
    record["cases"][0]["outputs_sha256"] = hashlib.sha256(bomb.read_bytes()).hexdigest()
    with pytest.raises(PorterError, match="inflates to 268435"):
        _forge(root, record)
    # a header promising more than the member holds: numpy would allocate it before reading
    with zipfile.ZipFile(bomb, "w") as archive, archive.open("arr_0.npy", "w") as member:
        np.lib.format.write_array_header_1_0(member, {"descr": "<f4", "fortran_order": False, "shape": (2**40,)})
    record["cases"][0]["outputs_sha256"] = hashlib.sha256(bomb.read_bytes()).hexdigest()
    with pytest.raises(PorterError, match="declares more data than it holds"):
        _forge(root, record)


def test_a_profile_name_is_compared_never_opened(device_copy):
    root, record = device_copy
    os.mkfifo(root / "p.json")  # a profile file's name is any path: opening this one would block forever
    record["bundle"]["profile"]["name"] = str(root / "p.json")
    (root / "bundle.json").write_text(json.dumps(record["bundle"]))
    assert _forge(root, record)["profile"]["name"] == str(root / "p.json")


def test_a_sharded_conversion_is_bundled_with_its_index_and_every_shard(tmp_path):
    from porter.validators.bundle import copy_model

    convert("examples/tiny_cnn.onnx", "mindspore", tmp_path / "out", max_shard_size=2000)
    copy_model(tmp_path / "out", tmp_path / "copy")
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert sorted(p.name for p in (tmp_path / "copy").iterdir()) == written and "model.ckpt.index.json" in written
