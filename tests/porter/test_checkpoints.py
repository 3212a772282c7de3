"""Reading checkpoints shard by shard: index checks, torch shards, memory-mapped .npz members."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from porter.checkpoints import npz_members, open_checkpoint, open_tensors
from porter.errors import InvalidModel, PorterError
from porter.weights import load_checkpoint
from tests.porter.test_weights import _write_safetensors, write_sharded_safetensors


def _state():
    rng = np.random.default_rng(0)
    return {f"layers.{i}.weight": rng.standard_normal((3, 4)).astype(np.float32) for i in range(5)} | {
        "steps": np.arange(3, dtype=np.int64)
    }


def test_a_sharded_directory_its_index_and_one_file_read_the_same(tmp_path):
    state = _state()
    weight_map = write_sharded_safetensors(tmp_path / "shards", state, parts=3)
    _write_safetensors(tmp_path / "one.safetensors", state)
    for source in (tmp_path / "shards", tmp_path / "shards" / "model.safetensors.index.json", tmp_path / "one.safetensors"):  # fmt: skip
        got = load_checkpoint(source)
        assert sorted(got) == sorted(state) and all(np.array_equal(got[k], v) for k, v in state.items())
    refs = open_checkpoint(tmp_path / "shards", tmp_path).tensors
    assert {k: r.shard for k, r in refs.items()} == weight_map  # each key where the index says, named as there
    # a directory without an index but with the single file transformers writes for a small model
    (tmp_path / "small").mkdir()
    _write_safetensors(tmp_path / "small" / "model.safetensors", state)
    assert sorted(load_checkpoint(tmp_path / "small")) == sorted(state)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidModel, match="empty: a checkpoint directory holds model.safetensors.index.json"):
        load_checkpoint(tmp_path / "empty")


def _index(folder, edit):
    path = folder / "model.safetensors.index.json"
    index = json.loads(path.read_text())
    edit(index["weight_map"])
    path.write_text(json.dumps(index))
    return path


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (
            lambda m: m.update({"layers.0.weight": "model-00009-of-00009.safetensors"}),
            r"shard 'model-00009-of-00009.safetensors' \(holding 'layers.0.weight' and 0 more\) is missing",
        ),  # fmt: skip
        (
            lambda m: m.update({"layers.0.weight": "../elsewhere.safetensors"}),
            r"shard '../elsewhere.safetensors' \(of 'layers.0.weight'\) lies outside",
        ),  # fmt: skip
        (lambda m: m.update({"layers.0.weight": "/etc/passwd"}), "shard '/etc/passwd' .* lies outside"),
        (lambda m: m.update({"layers.0.weight": "link.safetensors"}), "shard 'link.safetensors' .* lies outside"),
        (
            lambda m: m.update({"layers.0.weight": "model-00002-of-00003.safetensors"}),
            "the weight_map puts 'layers.0.weight' in model-00002-of-00003.safetensors, which lacks it",
        ),  # fmt: skip
        (
            lambda m: m.update({"ghost": "model-00001-of-00003.safetensors"}),
            "puts 'ghost' in model-00001-of-00003.safetensors",
        ),  # fmt: skip
        (lambda m: m.update({"layers.0.weight": 3}), "the shard of 'layers.0.weight' is 3, not a file name"),
        (lambda m: m.update({"layers.0.weight": "notes.txt"}), "'notes.txt' is neither .safetensors nor"),
        (lambda m: m.clear(), "no 'weight_map'"),
    ],
)
def test_an_index_that_does_not_describe_its_shards_is_refused(tmp_path, edit, match):
    state = _state()
    shards = tmp_path / "shards"
    write_sharded_safetensors(shards, state, parts=3)
    _write_safetensors(tmp_path / "elsewhere.safetensors", state)
    os.symlink(tmp_path / "elsewhere.safetensors", shards / "link.safetensors")  # a link out of the directory
    (shards / "notes.txt").write_text("x")
    _index(shards, edit)
    with pytest.raises(InvalidModel, match=match):
        open_checkpoint(shards, tmp_path)


def test_a_key_in_two_shards_is_refused(tmp_path):
    state = _state()
    shards = tmp_path / "shards"
    write_sharded_safetensors(shards, state, parts=2)
    _write_safetensors(shards / "model-00002-of-00002.safetensors", state)  # the second shard holds everything
    with pytest.raises(
        InvalidModel, match="'layers.0.weight' is in both model-00001-of-00002.safetensors and model-00002"
    ):
        open_checkpoint(shards, tmp_path)
    (shards / "model.safetensors.index.json").write_text("{not json")
    with pytest.raises(InvalidModel, match="not a JSON checkpoint index"):
        open_checkpoint(shards, tmp_path)


_TORCH_SHARDS = """
import json, sys, torch
folder = sys.argv[1]
a = {"a": torch.arange(6.0).reshape(2, 3).to(torch.bfloat16), "n": torch.tensor([1, 2])}
b = {"model": {"b": torch.ones(4)}, "epoch": 1}
torch.save(a, folder + "/pytorch_model-00001-of-00002.bin")
torch.save(b, folder + "/pytorch_model-00002-of-00002.bin")
weight_map = {"a": "pytorch_model-00001-of-00002.bin", "n": "pytorch_model-00001-of-00002.bin", "b": "pytorch_model-00002-of-00002.bin"}
json.dump({"metadata": {}, "weight_map": weight_map}, open(folder + "/pytorch_model.bin.index.json", "w"))
"""


@pytest.mark.parametrize("jobs", [1, 2])
def test_state_dict_shards_are_read_by_torch_one_each_in_its_own_process(tmp_path, jobs):
    subprocess.run([sys.executable, "-c", _TORCH_SHARDS, str(tmp_path)], check=True, timeout=120)
    (tmp_path / "dumps").mkdir()
    source = open_checkpoint(tmp_path, tmp_path / "dumps", jobs)
    assert {k: (r.dtype, r.shape, r.shard) for k, r in source.tensors.items()} == {
        "a": ("bfloat16", (2, 3), "pytorch_model-00001-of-00002.bin"),
        "n": ("int64", (2,), "pytorch_model-00001-of-00002.bin"),
        "b": ("float32", (4,), "pytorch_model-00002-of-00002.bin"),
    }
    assert source.notes == ["pytorch_model-00002-of-00002.bin: read the state_dict under 'model'; ignored 'epoch'"]
    state = load_checkpoint(tmp_path)
    assert state["a"].astype(np.float32).tolist() == [[0, 1, 2], [3, 4, 5]] and state["b"].tolist() == [1, 1, 1, 1]


def test_npz_members_are_memory_mapped_views_of_what_np_load_reads(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {
        "c": rng.standard_normal((4, 5)).astype(np.float32),
        "f": np.asfortranarray(rng.standard_normal((3, 7))),
        "s": np.array(2.5),
        "e": np.zeros((0, 2), np.int8),
        "b": np.array([True, False]),
    }
    np.savez(tmp_path / "a.npz", **arrays)
    np.savez_compressed(tmp_path / "z.npz", **arrays)
    for name in ("a.npz", "z.npz"):
        got = npz_members(tmp_path / name)
        assert sorted(got) == sorted(arrays)
        for k, v in arrays.items():
            assert got[k].dtype == v.dtype and np.array_equal(got[k], v)
    assert isinstance(npz_members(tmp_path / "a.npz")["c"].base, np.ndarray)  # a view of the mapped file, not a copy
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(InvalidModel, match="bad.npz: not an .npz"):
        npz_members(tmp_path / "bad.npz")
    np.savez(tmp_path / "o.npz", o=np.array([{"x": 1}], dtype=object))
    with pytest.raises(InvalidModel, match="'o.npy' is not a readable array"):
        npz_members(tmp_path / "o.npz")
    with pytest.raises(PorterError, match="unreadable"):
        open_tensors(str(tmp_path / "bad.npz"), "ckpt")
