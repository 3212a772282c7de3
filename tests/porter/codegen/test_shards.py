import json

import numpy as np
import pytest

from porter.codegen.shards import parse_size, plan, read_index, shard_names, shard_pattern, write_sharded
from porter.codegen.tensors import write_npz


@pytest.mark.parametrize(
    ("text", "size"),
    [("2GB", 2 * 10**9), ("500MB", 500 * 10**6), ("1.5 kb", 1500), ("1GiB", 2**30), ("64", 64), ("3MiB", 3 * 2**20)],
)
def test_sizes_read_as_transformers_reads_max_shard_size(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "GB", "2XB", "-1GB", "0", "1e9"])
def test_a_size_that_is_not_one_is_refused(text):
    with pytest.raises(ValueError, match="size"):
        parse_size(text)


def test_shards_keep_the_order_and_a_large_tensor_is_a_shard_alone():
    sizes = [("a", 4), ("b", 4), ("c", 9), ("d", 1), ("e", 2), ("f", 3)]
    assert plan(sizes, 8) == [["a", "b"], ["c"], ["d", "e", "f"]]
    assert plan(sizes, 100) == [["a", "b", "c", "d", "e", "f"]]
    assert plan([], 8) == [[]]
    assert shard_names("model.npz", 2) == ["model-00001-of-00002.npz", "model-00002-of-00002.npz"]
    assert shard_pattern("model.ckpt").fullmatch("model-00003-of-00012.ckpt")
    assert not shard_pattern("model.ckpt").fullmatch("model-00003-of-00012.npz")


def test_write_sharded_writes_one_file_when_it_fits_and_an_index_otherwise(tmp_path):
    state = {k: np.full(10, i, np.float32) for i, k in enumerate("abcde")}  # 40 bytes each
    (tmp_path / "one").mkdir()
    assert write_sharded(state, tmp_path / "one", "model.npz", write_npz, 10**6) == ["model.npz"]
    assert write_sharded(state, tmp_path / "one", "plain.npz", write_npz, None) == ["plain.npz"]
    (tmp_path / "many").mkdir()
    files = write_sharded(state, tmp_path / "many", "model.npz", write_npz, 100)
    assert files == [*shard_names("model.npz", 3), "model.npz.index.json"]
    index = json.loads((tmp_path / "many" / "model.npz.index.json").read_text())
    assert index["metadata"] == {"total_size": 200}
    assert read_index(tmp_path / "many" / "model.npz.index.json") == files[:3]
    for key, file in index["weight_map"].items():
        with np.load(tmp_path / "many" / file) as data:
            assert np.array_equal(data[key], state[key])
    (tmp_path / "bad.json").write_text('{"weight_map": [1]}')
    with pytest.raises(ValueError, match="not a weights index"):
        read_index(tmp_path / "bad.json")
