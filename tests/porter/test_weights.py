"""`porter weights`: a further checkpoint of a converted architecture, through report.json's map."""

import dataclasses
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import onnx
import pytest

from porter import convert
from porter.errors import OutputExists, PorterError
from porter.weights import conversion_weights, convert_checkpoint, load_checkpoint, read_safetensors
from tests.op_maps.harness import NodeCase, build_model
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


_CODES = {"float32": "F32", "float16": "F16", "bfloat16": "BF16", "int64": "I64", "bool": "BOOL"}


def _write_safetensors(path, state: dict, metadata: dict | None = None) -> None:
    header, blobs, offset = ({"__metadata__": metadata} if metadata else {}), [], 0
    for name, array in state.items():
        data = np.ascontiguousarray(array).tobytes()
        header[name] = {
            "dtype": _CODES[array.dtype.name],
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(data)],
        }
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
    # Paddle's compat Linear and MindSpore's nn.Dense hold the weight [out, in] as torch does: no transpose
    assert rows["proj.weight"]["transform"] is None
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


def _state(checkpoint) -> dict:
    with np.load(checkpoint / "state.npz") as data:
        return {k: data[k] for k in data.files}


def test_wrong_checkpoints_and_outputs_are_clear_errors(tmp_path, checkpoint):
    out = tmp_path / "out"
    convert(f"{FACTORIES}:block", "paddle", out)
    report, state = out / "report.json", _state(checkpoint)

    def refused(name, tensors, match, out_file="w.npz", **kwargs):
        _write_safetensors(tmp_path / name, tensors)
        with pytest.raises(PorterError, match=match):
            convert_checkpoint(tmp_path / name, report, tmp_path / out_file, **kwargs)

    refused("bad.safetensors", dict(state, **{"proj.weight": np.zeros((16, 9), np.float32)}), r"'proj.weight' has shape \[16, 9\]")  # fmt: skip
    refused("int.safetensors", dict(state, **{"norm.bias": np.zeros(16, np.int64)}), "'norm.bias' is int64")
    # a parameter source.onnx marks, and a Linear weight torch.onnx renamed (val_N) that porter mapped back
    for key in ("norm.weight", "proj.weight"):
        without = {k: v for k, v in state.items() if k != key}
        refused(f"no-{key}.safetensors", without, f"has no '{key}' \\(for parameter")
    refused("extra.safetensors", dict(state, **{"extra.weight": np.ones(3, np.float32)}), "extra.weight")
    refused("prefixed.safetensors", {f"module.{k}": v for k, v in state.items()}, "no tensor of the checkpoint matches")
    refused("ok.safetensors", state, "written as .npz or .pdparams", out_file="w.ckpt")
    (tmp_path / "exists.npz").write_bytes(b"")
    with pytest.raises(OutputExists, match=r"exists\.npz: exists \(use --force"):
        convert_checkpoint(tmp_path / "ok.safetensors", report, tmp_path / "exists.npz")
    assert (tmp_path / "exists.npz").read_bytes() == b""
    summary = convert_checkpoint(tmp_path / "extra.safetensors", report, tmp_path / "exists.npz", force=True, allow_unused=True)  # fmt: skip
    assert summary["unused"] == ["extra.weight"] and summary["mapped"] == 6
    with np.load(tmp_path / "exists.npz") as written:
        assert np.array_equal(written["proj.weight"], state["proj.weight"])  # held [out, in], as torch holds it
    assert not list(tmp_path.glob(".*tmp*"))  # nothing half-written


_FOLDED = """
import torch


class ConvBN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3)
        self.bn = torch.nn.BatchNorm2d(4)

    def forward(self, x):
        return self.bn(self.conv(x))


def make():
    torch.manual_seed(0)
    return ConvBN().eval(), (torch.randn(1, 3, 8, 8),)
"""


def test_an_eval_batch_norm_maps_one_to_one_and_a_rewritten_tensor_is_refused(tmp_path):
    # eval exports keep BatchNorm (torch.onnx's optimizer no longer folds it into conv.weight): a fine-tuned
    # checkpoint's conv and BatchNorm tensors, running statistics included, are placed one to one
    (tmp_path / "convbn.py").write_text(_FOLDED)
    out = tmp_path / "out"
    convert(f"{tmp_path / 'convbn.py'}:make", "paddle", out)
    rng = np.random.default_rng(0)
    shapes = {"conv.weight": (4, 3, 3, 3), "conv.bias": (4,), "bn.weight": (4,), "bn.bias": (4,)}
    state = {k: rng.standard_normal(s).astype(np.float32) for k, s in shapes.items()}
    state.update({"bn.running_mean": rng.standard_normal(4, np.float32), "bn.running_var": np.full(4, 2, np.float32)})
    _write_safetensors(tmp_path / "ft.safetensors", state)
    summary = convert_checkpoint(tmp_path / "ft.safetensors", out / "report.json", tmp_path / "w.npz")
    assert summary["mapped"] == 6 and not summary["kept_from_conversion"]
    with np.load(tmp_path / "w.npz") as written:
        assert np.array_equal(written["conv.weight"], state["conv.weight"])
        assert np.array_equal(written["bn._mean"], state["bn.running_mean"])
    # a tensor an exporter rewrote under its own name loses torch.export's metadata (as conv.weight did when
    # the BatchNorm was folded into it): the checkpoint's raw tensor would be wrong there, even with --allow-unused
    import onnx  # here, not at the top: only this test edits an export

    source = onnx.load(out / "source.onnx")
    for value in [*source.graph.input, *source.graph.value_info]:
        if value.name == "conv.weight":
            del value.metadata_props[:]
    onnx.save(source, out / "source.onnx")
    with pytest.raises(PorterError, match="'conv.weight' .* was rewritten by the exporter"):
        convert_checkpoint(tmp_path / "ft.safetensors", out / "report.json", tmp_path / "w2.npz", allow_unused=True)


def test_an_onnx_conversion_maps_back_exactly_and_keeps_what_the_checkpoint_lacks(tmp_path):
    out = tmp_path / "out"
    convert("examples/tiny_cnn.onnx", "paddle", out)
    rows = json.loads((out / "report.json").read_text())["parameters"]
    # the Gemm head (transB=1) is held as stored, in paddle.compat.nn.Linear: nothing to undo
    assert not any(r["transform"] for r in rows)
    with np.load(out / "model.npz") as data:
        weights = {k: data[k] for k in data.files}
    # the state_dict the conversion came from, undoing each transform: converting it must give model.npz back
    state = {r["source"]: weights[r["target"]].T if r["transform"] else weights[r["target"]] for r in rows}
    _write_safetensors(tmp_path / "same.safetensors", state)
    summary = convert_checkpoint(tmp_path / "same.safetensors", out / "report.json", tmp_path / "same.npz")
    assert summary["mapped"] == len(rows) and not summary["kept_from_conversion"]
    with np.load(tmp_path / "same.npz") as again:
        assert sorted(again.files) == sorted(weights)
        assert all(np.array_equal(again[k], v) for k, v in weights.items())
    # an ONNX file says nothing about which initializers a state_dict holds: what is missing is kept, and listed
    _write_safetensors(tmp_path / "part.safetensors", {k: v for k, v in state.items() if k != "stem.bn.running_mean"})
    summary = convert_checkpoint(tmp_path / "part.safetensors", out / "report.json", tmp_path / "part.pdparams")
    assert summary["kept_from_conversion"] == ["stem_bn._mean"]
    code = "import sys, paddle; print(sorted(paddle.load(sys.argv[1])))"
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "part.pdparams")], capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(sorted(weights))


def test_a_weight_transposed_at_conversion_maps_back_transposed(tmp_path):
    # MindSpore's nn.Dense holds [out, in]: a MatMul's [in, out] initializer is transposed as it is written
    model = build_model(NodeCase("mm", "MatMul", {"x": np.ones((2, 4), np.float32), "w": np.ones((4, 3), np.float32)}, consts=("w",)))  # fmt: skip
    onnx.save(model, tmp_path / "mm.onnx")
    out = tmp_path / "out"
    convert(tmp_path / "mm.onnx", "mindspore", out)
    (row,) = json.loads((out / "report.json").read_text())["parameters"]
    assert row["source"] == "w" and row["transform"] == "transpose"
    w = np.arange(12, dtype=np.float32).reshape(4, 3)
    _write_safetensors(tmp_path / "w.safetensors", {"w": w})
    tuned = tmp_path / "tuned"
    tuned.mkdir()
    for name in ("model.py", "report.json"):
        shutil.copy(out / name, tuned / name)
    convert_checkpoint(tmp_path / "w.safetensors", out / "report.json", tuned / "model.ckpt")
    assert np.array_equal(conversion_weights(tuned, "mindspore")[row["target"]], w.T)


_WRAPPED = """
import sys, torch
state = {"a": torch.arange(6.0).reshape(2, 3).to(torch.bfloat16), "n": torch.tensor([1, 2]), "cfg": "x"}
torch.save({"model": state, "epoch": 3}, sys.argv[1])
torch.save(torch.nn.Linear(2, 2), sys.argv[2])  # a whole pickled module: weights_only refuses it
"""


def test_a_torch_checkpoint_is_read_with_weights_only_in_its_own_process(tmp_path):
    files = [tmp_path / "wrapped.pt", tmp_path / "module.pt"]
    subprocess.run([sys.executable, "-c", _WRAPPED, *map(str, files)], check=True, timeout=120)
    state = load_checkpoint(files[0])
    assert sorted(state) == ["a", "n"]
    assert state["a"].dtype.name == "bfloat16" and state["a"].astype(np.float32).tolist() == [[0, 1, 2], [3, 4, 5]]
    assert state["n"].dtype == np.int64 and state["n"].tolist() == [1, 2]
    with pytest.raises(PorterError, match="module.pt: cannot read the checkpoint"):
        load_checkpoint(files[1])
    # torch (which cannot share a process with mindspore) stays out of the process that reads the checkpoint
    code = "import sys; from porter.weights import load_checkpoint; load_checkpoint(sys.argv[1]); print('torch' in sys.modules)"  # fmt: skip
    proc = subprocess.run([sys.executable, "-c", code, str(files[0])], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "False", proc.stderr


def test_safetensors_dtypes_and_metadata(tmp_path):
    import ml_dtypes

    state = {
        "h": np.arange(4, dtype=np.float16).reshape(2, 2),
        "b": np.array([1.5, -2], dtype=ml_dtypes.bfloat16),
        "i": np.array([[7]], dtype=np.int64),
        "m": np.array([True, False]),
        "e": np.zeros((0, 3), np.float32),
    }
    _write_safetensors(tmp_path / "t.safetensors", state, metadata={"format": "pt"})
    got = read_safetensors(tmp_path / "t.safetensors")
    assert sorted(got) == sorted(state)
    for k, v in state.items():
        assert got[k].dtype == v.dtype and got[k].shape == v.shape and np.array_equal(got[k], v)


def test_a_malformed_safetensors_file_is_refused(tmp_path):
    def refused(header, body, match):
        text = header if isinstance(header, bytes) else json.dumps(header).encode()
        (tmp_path / "m.safetensors").write_bytes(struct.pack("<Q", len(text)) + text + body)
        with pytest.raises(PorterError, match=match):
            read_safetensors(tmp_path / "m.safetensors")

    (tmp_path / "a.safetensors").write_bytes(struct.pack("<Q", 10**9) + b"{}")
    with pytest.raises(PorterError, match="a.safetensors: safetensors header size"):
        read_safetensors(tmp_path / "a.safetensors")
    (tmp_path / "short.safetensors").write_bytes(b"\1\0")
    with pytest.raises(PorterError, match="too short"):
        read_safetensors(tmp_path / "short.safetensors")
    refused(b"{not json", b"", "header is not JSON")
    refused([1, 2], b"", "not a JSON object")
    refused({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 8]}}, b"\0" * 8, "'w': data offsets")
    refused({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 16]}}, b"\0" * 8, "'w': data offsets")
    refused({"w": {"dtype": "C64", "shape": [1], "data_offsets": [0, 8]}}, b"\0" * 8, "'w': malformed or unsupported")
    refused({"w": {"dtype": "F32", "shape": [-1, -2], "data_offsets": [0, 8]}}, b"\0" * 8, "'w': negative dimension")
    refused({"w": "F32"}, b"", "'w': malformed")


def test_hostile_safetensors_headers_are_refused(tmp_path):
    def refused(header, body, match):
        text = header if isinstance(header, bytes) else json.dumps(header).encode()
        (tmp_path / "m.safetensors").write_bytes(struct.pack("<Q", len(text)) + text + body)
        with pytest.raises(PorterError, match=match):
            read_safetensors(tmp_path / "m.safetensors")

    # numpy's int64 product of this shape wraps to 0, which matched the empty data range
    refused({"w": {"dtype": "F32", "shape": [2**62, 2**62, 0], "data_offsets": [0, 0]}}, b"", "'w': shape .* too large")
    refused(b"[" * 100_000 + b"]" * 100_000, b"", "nested too deeply")
    refused({"w": {"dtype": "F32", "shape": [True], "data_offsets": [0, 4]}}, b"\0" * 4, "'w': malformed")
    two = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
           "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}  # fmt: skip
    refused(two, b"\0" * 12, "tensors 'a' and 'b' overlap")


_PICKLE = """
import os, sys, torch
class Payload:
    def __reduce__(self):
        return (os.system, ("echo owned",))
torch.save({"w": torch.zeros(2), "x": Payload()}, sys.argv[1])
"""


def test_a_pickle_payload_is_refused_naming_the_blocked_global(tmp_path):
    subprocess.run([sys.executable, "-I", "-c", _PICKLE, str(tmp_path / "evil.pt")], check=True, timeout=120)
    with pytest.raises(
        PorterError, match=r"evil.pt: cannot read the checkpoint \(it refers to the global posix.system"
    ):
        load_checkpoint(tmp_path / "evil.pt")


@pytest.fixture(scope="module")
def heavy_conversion(tmp_path_factory):
    """An ONNX conversion with a 64 MiB weight and a safetensors checkpoint for it: writing takes long
    enough to interrupt, and more than a small RLIMIT_FSIZE allows."""
    from onnx import TensorProto, helper, numpy_helper

    tmp = tmp_path_factory.mktemp("heavy")
    weight = np.ones((16, 1024, 1024), np.float32)
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "w"], ["y"])], "heavy",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [16, 1024, 1024])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [16, 1024, 1024])],
        initializer=[numpy_helper.from_array(weight, "w")],
    )  # fmt: skip
    import onnx

    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, tmp / "heavy.onnx", save_as_external_data=True, location="heavy.bin", size_threshold=0)
    convert(str(tmp / "heavy.onnx"), "paddle", tmp / "out")
    _write_safetensors(tmp / "ft.safetensors", {"w": weight * 2})
    return tmp


def _previous(tmp_path):
    (tmp_path / "tuned.npz").write_bytes(b"the previous weights")
    return tmp_path / "tuned.npz"


def test_a_full_disk_is_one_line_exit_2_and_leaves_the_previous_file(heavy_conversion, tmp_path):
    import resource

    out = _previous(tmp_path)

    def limit():  # what `ulimit -f` does: writes past 1 MiB fail with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (2**20, 2**20))

    proc = subprocess.run(
        [sys.executable, "-m", "porter.cli", "weights", heavy_conversion / "ft.safetensors",
         "--map", heavy_conversion / "out" / "report.json", "-o", out, "--force"],
        capture_output=True, text=True, timeout=300, preexec_fn=limit,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "file too large" in proc.stderr and "internal error" not in proc.stderr
    assert out.read_bytes() == b"the previous weights"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tuned.npz"]


def test_an_unwritable_folder_is_one_line_exit_2(heavy_conversion):
    # sysfs refuses new files even to root (who writes anywhere else), so this fails the same for everyone
    if not os.path.isdir("/sys/kernel"):
        pytest.skip("no sysfs on this machine")
    proc = porter_cli("weights", heavy_conversion / "ft.safetensors", "--map",
                      heavy_conversion / "out" / "report.json", "-o", "/sys/kernel/tuned.npz")  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "permission denied" in proc.stderr and proc.stderr.count("\n") == 1 and "internal error" not in proc.stderr


def _weights_interrupted(heavy_conversion, out, sig, *options):
    proc = subprocess.Popen(
        [sys.executable, "-m", "porter.cli", "weights", str(heavy_conversion / "ft.safetensors"),
         "--map", str(heavy_conversion / "out" / "report.json"), "-o", str(out), "--force", *options],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if any(p.name.startswith(".tuned.npz.tmp-") for p in out.parent.iterdir()):
            proc.send_signal(sig)
            break
        if proc.poll() is not None:
            pytest.fail(f"the weights were written before they could be interrupted: {proc.stderr.read()}")
        time.sleep(0.002)
    return proc.wait(timeout=120), proc.stderr.read()


def test_sigterm_while_writing_weights_is_aborted_and_cleaned(heavy_conversion, tmp_path):
    out = _previous(tmp_path)
    code, stderr = _weights_interrupted(heavy_conversion, out, signal.SIGTERM)
    assert code == 2 and stderr.strip() == "aborted", stderr
    assert out.read_bytes() == b"the previous weights"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tuned.npz"]


def test_a_killed_weights_write_is_cleaned_by_the_next_run(heavy_conversion, tmp_path):
    out = _previous(tmp_path)
    code, _ = _weights_interrupted(heavy_conversion, out, signal.SIGKILL)
    assert code == -signal.SIGKILL
    assert len(list(tmp_path.iterdir())) == 2  # the SIGKILLed temporary stayed behind
    convert_checkpoint(heavy_conversion / "ft.safetensors", heavy_conversion / "out" / "report.json", out, force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tuned.npz"]


def write_sharded_safetensors(folder, state: dict, parts: int, index_name="model.safetensors.index.json") -> dict:
    """A Hugging Face style sharded checkpoint: `parts` .safetensors shards and the index naming them."""
    folder.mkdir(parents=True, exist_ok=True)
    names = list(state)
    weight_map = {}
    for i in range(parts):
        file = f"model-{i + 1:05d}-of-{parts:05d}.safetensors"
        chunk = {k: state[k] for k in names[i::parts]}  # interleaved: no shard holds the map's order
        _write_safetensors(folder / file, chunk)
        weight_map.update(dict.fromkeys(chunk, file))
    index = {"metadata": {"total_size": sum(v.nbytes for v in state.values())}, "weight_map": weight_map}
    (folder / index_name).write_text(json.dumps(index))
    return weight_map


@pytest.fixture(scope="module")
def cnn(tmp_path_factory):
    """tiny_cnn converted to both targets, and the state_dict each conversion came from (each transform
    undone): converting that state_dict must give the conversion's own weights back."""
    tmp = tmp_path_factory.mktemp("cnn")
    for target in ("paddle", "mindspore"):
        out = tmp / target
        convert("examples/tiny_cnn.onnx", target, out)
        rows = json.loads((out / "report.json").read_text())["parameters"]
        weights = conversion_weights(out, target)
        state = {r["source"]: np.array(weights[r["target"]].T if r["transform"] else weights[r["target"]]) for r in rows}  # fmt: skip
        _write_safetensors(tmp / f"{target}.safetensors", state)
        write_sharded_safetensors(tmp / f"{target}-shards", state, parts=3)
    return tmp


def _members(path) -> dict:
    """An .npz's members as raw bytes (the zip's timestamps differ from run to run; the .npy bytes must not)."""
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.mark.parametrize(("target", "weights_file"), [("paddle", "model.npz"), ("mindspore", "model.ckpt")])
def test_a_sharded_checkpoint_gives_what_the_single_file_gives(cnn, tmp_path, target, weights_file):
    single, sharded, index = tmp_path / "single" / weights_file, tmp_path / "sharded" / weights_file, tmp_path / "i" / weights_file  # fmt: skip
    convert_checkpoint(cnn / f"{target}.safetensors", cnn / target / "report.json", single)
    convert_checkpoint(cnn / f"{target}-shards", cnn / target / "report.json", sharded)
    convert_checkpoint(cnn / f"{target}-shards" / "model.safetensors.index.json", cnn / target / "report.json", index)
    read = _members if target == "paddle" else (lambda p: p.read_bytes())
    assert read(single) == read(sharded) == read(index) == read(cnn / target / weights_file)  # byte for byte


@pytest.mark.parametrize(("target", "weights_file"), [("paddle", "model.npz"), ("mindspore", "model.ckpt")])
def test_sharded_output_is_what_load_model_follows(cnn, tmp_path, target, weights_file):
    tuned = tmp_path / "tuned"
    tuned.mkdir()
    for name in ("model.py", "report.json"):
        shutil.copy(cnn / target / name, tuned / name)
    proc = porter_cli("weights", cnn / f"{target}-shards", "--map", cnn / target / "report.json",
                      "-o", tuned / weights_file, "--max-shard-size", "2KB")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    stem, suffix = weights_file.split(".")
    shard_files = sorted(p.name for p in tuned.glob(f"{stem}-*"))
    assert shard_files == [f"{stem}-{i:05d}-of-00003.{suffix}" for i in (1, 2, 3)], shard_files
    assert "wrote 3 shards and" in proc.stdout
    index = json.loads((tuned / f"{weights_file}.index.json").read_text())
    original = conversion_weights(cnn / target, target)
    assert sorted(index["weight_map"]) == sorted(original) and set(index["weight_map"].values()) == set(shard_files)
    assert index["metadata"]["total_size"] == sum(v.nbytes for v in original.values())
    sharded = conversion_weights(tuned, target)  # reads through the index, as `porter weights` does
    assert all(np.array_equal(sharded[k], v) and sharded[k].dtype == v.dtype for k, v in original.items())
    # load_model follows the index: the model gives the conversion's own numbers
    x = np.random.default_rng(0).standard_normal((2, 3, 32, 32)).astype(np.float32)
    np.savez(tmp_path / "x.npz", input_0=x)
    got = _run(target, tuned, tmp_path / "x.npz", tmp_path / "got.npz")
    want = _run(target, cnn / target, tmp_path / "x.npz", tmp_path / "want.npz")
    assert np.array_equal(got, want)
    # one shard is missing: load_model fails rather than run with zeros
    (tuned / shard_files[1]).unlink()
    proc = subprocess.run(
        [sys.executable, "-m", "porter.validators.runners", "target", target, str(tuned), str(tmp_path / "x.npz"), str(tmp_path / "o.npz")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode != 0 and shard_files[1] in proc.stderr


def test_parallel_shards_equal_serial_ones_and_replace_only_with_force(cnn, tmp_path):
    report = cnn / "mindspore" / "report.json"
    one, two = tmp_path / "one" / "model.ckpt", tmp_path / "two" / "model.ckpt"
    first = convert_checkpoint(cnn / "mindspore-shards", report, one, max_shard_size=1500)
    second = convert_checkpoint(cnn / "mindspore-shards", report, two, max_shard_size=1500, jobs=2)
    assert first["files"] == second["files"] and len(first["files"]) > 3  # shards and the index
    for name in first["files"]:
        assert (one.parent / name).read_bytes() == (two.parent / name).read_bytes()
    # the output is the index and its shards: none is replaced without --force, and a new layout removes the old
    before = {p.name: p.read_bytes() for p in one.parent.iterdir()}
    with pytest.raises(OutputExists, match="exists"):
        convert_checkpoint(cnn / "mindspore-shards", report, one, max_shard_size=4000)
    with pytest.raises(OutputExists, match="exists"):
        convert_checkpoint(cnn / "mindspore-shards", report, one)  # a single file beside an index: refused too
    assert {p.name: p.read_bytes() for p in one.parent.iterdir()} == before
    convert_checkpoint(cnn / "mindspore-shards", report, one, force=True)
    assert sorted(p.name for p in one.parent.iterdir()) == ["model.ckpt"]
    assert one.read_bytes() == (cnn / "mindspore" / "model.ckpt").read_bytes()


def test_a_bad_index_is_exit_2_naming_the_shard(cnn, tmp_path):
    shards = tmp_path / "shards"
    shutil.copytree(cnn / "paddle-shards", shards)
    index = json.loads((shards / "model.safetensors.index.json").read_text())
    key = next(iter(index["weight_map"]))
    index["weight_map"][key] = "../outside.safetensors"
    (tmp_path / "outside.safetensors").write_bytes((shards / "model-00001-of-00003.safetensors").read_bytes())
    (shards / "model.safetensors.index.json").write_text(json.dumps(index))
    proc = porter_cli("weights", shards, "--map", cnn / "paddle" / "report.json", "-o", tmp_path / "w.npz")
    assert proc.returncode == 2, proc.stderr
    assert "'../outside.safetensors'" in proc.stderr and "lies outside" in proc.stderr, proc.stderr
    assert not (tmp_path / "w.npz").exists()


@pytest.fixture(scope="module")
def local_ray():
    """A local Ray instance (2 CPUs) for the module's Ray tests; its address, as a cluster's is given."""
    ray = pytest.importorskip("ray")  # the [ray] extra; CI installs it with [all]
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


def test_ray_writes_the_shards_and_index_one_process_writes(cnn, tmp_path, local_ray):
    report = cnn / "mindspore" / "report.json"
    one, on_ray = tmp_path / "one" / "model.ckpt", tmp_path / "ray" / "model.ckpt"
    first = convert_checkpoint(cnn / "mindspore-shards", report, one, max_shard_size=1500)
    second = convert_checkpoint(cnn / "mindspore-shards", report, on_ray, max_shard_size=1500, ray_address="")
    assert first["files"] == second["files"] and len(first["files"]) > 3  # shards and the index
    assert sorted(p.name for p in on_ray.parent.iterdir()) == sorted(first["files"])  # no temporary left
    for name in first["files"]:
        assert (one.parent / name).read_bytes() == (on_ray.parent / name).read_bytes()
    # the command line, given the instance's address as a cluster's would be, with paths relative to its folder
    shutil.copytree(cnn / "paddle-shards", tmp_path / "shards")
    proc = porter_cli("weights", "shards", "--map", cnn / "paddle" / "report.json", "-o", "tuned/model.npz",
                      "--max-shard-size", "1500", "--ray", local_ray, cwd=tmp_path)  # fmt: skip
    serial = convert_checkpoint(cnn / "paddle-shards", cnn / "paddle" / "report.json", tmp_path / "serial" / "model.npz", max_shard_size=1500)  # fmt: skip
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert f"wrote {len(serial['files']) - 1} shards and model.npz.index.json" in proc.stdout, proc.stdout
    assert sorted(p.name for p in (tmp_path / "tuned").iterdir()) == sorted(serial["files"])
    for name in serial["files"]:
        read = _members if name.endswith(".npz") else (lambda p: p.read_bytes())
        assert read(tmp_path / "tuned" / name) == read(tmp_path / "serial" / name)


def test_a_shard_a_ray_task_cannot_write_is_named_and_nothing_is_left(cnn, tmp_path, local_ray):
    from porter.checkpoints import conversion_refs
    from porter.weights import _write_all

    # one shard's input is not where its task runs (as on a node that lacks the shared storage): it fails
    # after the others were written; none of them, nor the index, replaces the previous output
    refs = conversion_refs(cnn / "mindspore", "mindspore")
    elsewhere = tmp_path / "elsewhere.ckpt"
    plan = [(name, ref, None, ref.dtype) for name, ref in refs.items()]
    name, ref, _, dtype = plan[-1]
    plan[-1] = (name, dataclasses.replace(ref, file=str(elsewhere)), None, dtype)
    out = tmp_path / "out" / "model.ckpt"
    out.parent.mkdir()
    out.write_bytes(b"the previous weights")
    with pytest.raises(PorterError) as error:
        _write_all(plan, out, 1500, 1, "")
    message = str(error.value)
    assert message.startswith(f"{out.parent}/model-0000") and f"{elsewhere} does not exist on " in message, message
    assert "storage every node sees" in message
    assert sorted(p.name for p in out.parent.iterdir()) == ["model.ckpt"]
    assert out.read_bytes() == b"the previous weights"
    # an output folder no process may write in (sysfs refuses even root): exit 2, one line naming the shard
    if os.path.isdir("/sys/kernel"):
        proc = porter_cli("weights", cnn / "paddle-shards", "--map", cnn / "paddle" / "report.json",
                          "-o", "/sys/kernel/model.npz", "--max-shard-size", "1500", "--ray", local_ray)  # fmt: skip
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
        assert "error: /sys/kernel/model-0000" in proc.stderr and "permission denied" in proc.stderr, proc.stderr


def test_without_ray_installed_weights_ray_is_a_usage_error(cnn, tmp_path):
    # ray made unimportable in the porter process, as where the [ray] extra is not installed
    code = "import sys; sys.modules['ray'] = None; from porter.cli import main; main()"
    proc = subprocess.run(
        [sys.executable, "-c", code, "weights", str(cnn / "paddle-shards"), "--map", str(cnn / "paddle" / "report.json"),
         "-o", str(tmp_path / "model.npz"), "--ray"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 3 and "--ray needs Ray: pip install 'porter-convert[ray]'" in proc.stderr, proc.stderr
    assert not any(tmp_path.iterdir())


def test_sigterm_while_ray_tasks_write_is_aborted_and_cleaned(heavy_conversion, tmp_path, local_ray):
    # Ray's driver installs a SIGTERM handler that exits with a C++ stack dump: porter keeps its own, so the
    # task is cancelled and waited for, and its temporary removed
    out = _previous(tmp_path)
    code, stderr = _weights_interrupted(heavy_conversion, out, signal.SIGTERM, "--ray", local_ray)
    assert code == 2 and stderr.strip() == "aborted", stderr
    assert out.read_bytes() == b"the previous weights"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tuned.npz"]


_TORCH_SAVE = """
import sys, numpy as np, torch
with np.load(sys.argv[1]) as state:
    torch.save({k: torch.from_numpy(state[k]) for k in state.files}, sys.argv[2])
"""


def test_state_dict_shards_for_a_ray_cluster_are_dumped_beside_the_output(cnn, tmp_path, local_ray):
    # a cluster's nodes see -o's folder, not this machine's temporary one: the torch dumps go there, and go
    state = load_checkpoint(cnn / "paddle.safetensors")
    np.savez(tmp_path / "state.npz", **state)
    subprocess.run([sys.executable, "-c", _TORCH_SAVE, tmp_path / "state.npz", tmp_path / "ft.pt"], check=True, timeout=300)  # fmt: skip
    report = cnn / "paddle" / "report.json"
    serial = convert_checkpoint(tmp_path / "ft.pt", report, tmp_path / "one" / "model.npz", max_shard_size=1500)
    on_ray = convert_checkpoint(tmp_path / "ft.pt", report, tmp_path / "ray" / "model.npz", max_shard_size=1500, ray_address=local_ray)  # fmt: skip
    assert on_ray["files"] == serial["files"]
    assert sorted(p.name for p in (tmp_path / "ray").iterdir()) == sorted(serial["files"])  # the dumps are gone
    from porter.weights import _dump_folder

    with _dump_folder(tmp_path / "ft.pt", tmp_path / "ray" / "model.npz", local_ray) as dumps:
        assert Path(dumps).parent == tmp_path / "ray" and Path(dumps).name.startswith(".model.npz.porter-")
    with _dump_folder(cnn / "paddle-shards", tmp_path / "ray" / "model.npz", local_ray) as dumps:
        assert Path(dumps).parent != tmp_path / "ray"  # safetensors shards are read where they are
    for name in serial["files"]:
        read = _members if name.endswith(".npz") else (lambda p: p.read_bytes())
        assert read(tmp_path / "ray" / name) == read(tmp_path / "one" / name)
