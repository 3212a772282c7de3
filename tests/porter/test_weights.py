"""`porter weights`: a further checkpoint of a converted architecture, through report.json's map."""

import json
import shutil
import struct
import subprocess
import sys

import numpy as np
import pytest

from porter import convert
from porter.errors import PorterError
from porter.weights import convert_checkpoint, read_safetensors
from tests.porter.frontends.test_torch_source import FACTORIES
from tests.porter.test_cli import porter_cli

# Runs in a torch subprocess: save the fine-tuned state_dict and its outputs on fixed inputs.
_SAVE = """
import sys, numpy as np, torch
sys.path.insert(0, sys.argv[1])
from torch_factories import fine_tuned
module, _ = fine_tuned()
torch.save(module.state_dict(), sys.argv[2])
x = torch.randn(3, 5, 8, generator=torch.Generator().manual_seed(1))
np.savez(sys.argv[3], input_0=x.numpy())
with torch.no_grad():
    np.savez(sys.argv[4], output_0=module(x).numpy())
np.savez(sys.argv[5], **{k: v.numpy() for k, v in module.state_dict().items()})
"""


def _write_safetensors(path, state: dict) -> None:
    header, blobs, offset = {}, [], 0
    for name, array in state.items():
        data = np.ascontiguousarray(array, dtype=np.float32).tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ckpt")
    files = [tmp / n for n in ("ft.pt", "inputs.npz", "expected.npz", "state.npz")]
    subprocess.run([sys.executable, "-c", _SAVE, str(FACTORIES.parent), *map(str, files)], check=True, timeout=300)
    with np.load(files[3]) as state:
        _write_safetensors(tmp / "ft.safetensors", {k: state[k] for k in state.files})
    return tmp


def _run(target, out_dir, inputs, tmp):
    proc = subprocess.run(
        [sys.executable, "-m", "porter.validators.runners", "target", target, str(out_dir), str(inputs), str(tmp)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    with np.load(tmp) as data:
        return data["output_0"]


@pytest.mark.parametrize(("target", "weights_file"), [("paddle", "model.npz"), ("mindspore", "model.ckpt")])
@pytest.mark.parametrize("fmt", ["ft.pt", "ft.safetensors"])
def test_a_fine_tuned_checkpoint_gives_pytorchs_outputs(tmp_path, checkpoint, target, weights_file, fmt):
    out = tmp_path / "out"
    convert(f"{FACTORIES}:block", target, out, dynamic=["batch", "seq"])
    report = json.loads((out / "report.json").read_text())
    rows = {r["source"]: r for r in report["parameters"]}
    assert rows["proj.weight"]["transform"] == "transpose"  # torch.onnx keeps Linear weights transposed
    tuned = tmp_path / "tuned"
    tuned.mkdir()
    for name in ("model.py", "report.json"):
        shutil.copy(out / name, tuned / name)
    proc = porter_cli("weights", checkpoint / fmt, "--map", out / "report.json", "-o", tuned / weights_file)
    assert proc.returncode == 0, proc.stderr
    assert "0 unused" in proc.stdout
    expected = np.load(checkpoint / "expected.npz")["output_0"]
    got = _run(target, tuned, checkpoint / "inputs.npz", tmp_path / "o.npz")
    assert np.abs(got - expected).max() <= 1e-4 * max(1.0, np.abs(expected).max())
    original = _run(target, out, checkpoint / "inputs.npz", tmp_path / "p.npz")
    assert np.abs(original - expected).max() > 1e-2  # the conversion's own weights give other numbers


def test_wrong_checkpoints_and_outputs_are_clear_errors(tmp_path, checkpoint):
    out = tmp_path / "out"
    convert(f"{FACTORIES}:block", "paddle", out)
    with np.load(checkpoint / "state.npz") as data:
        state = {k: data[k] for k in data.files}
    bad = dict(state, **{"proj.weight": np.zeros((16, 9), np.float32)})
    _write_safetensors(tmp_path / "bad.safetensors", bad)
    with pytest.raises(PorterError, match=r"'proj.weight' has shape \[9, 16\]"):
        convert_checkpoint(tmp_path / "bad.safetensors", out / "report.json", tmp_path / "w.npz")
    extra = dict(state, **{"extra.weight": np.ones(3, np.float32)})
    _write_safetensors(tmp_path / "extra.safetensors", extra)
    with pytest.raises(PorterError, match="extra.weight"):
        convert_checkpoint(tmp_path / "extra.safetensors", out / "report.json", tmp_path / "w.npz")
    with pytest.raises(PorterError, match="written as .npz or .pdparams"):
        convert_checkpoint(checkpoint / "ft.safetensors", out / "report.json", tmp_path / "w.ckpt")
    (tmp_path / "exists.npz").write_bytes(b"")
    with pytest.raises(PorterError, match="--force"):
        convert_checkpoint(checkpoint / "ft.safetensors", out / "report.json", tmp_path / "exists.npz")
    assert not list(tmp_path.glob(".*tmp*"))  # nothing half-written


def test_a_malformed_safetensors_file_is_refused(tmp_path):
    (tmp_path / "a.safetensors").write_bytes(struct.pack("<Q", 10**9) + b"{}")
    with pytest.raises(PorterError, match="header size"):
        read_safetensors(tmp_path / "a.safetensors")
    text = json.dumps({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 8]}}).encode()
    (tmp_path / "b.safetensors").write_bytes(struct.pack("<Q", len(text)) + text + b"\0" * 8)
    with pytest.raises(PorterError, match="'w': data offsets"):
        read_safetensors(tmp_path / "b.safetensors")
