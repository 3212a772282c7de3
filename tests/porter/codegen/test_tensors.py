import zipfile

import numpy as np
import pytest

from porter.codegen.tensors import c_order_chunks, release, write_npz


def _arrays():
    rng = np.random.default_rng(0)
    matrix = rng.standard_normal((70, 130)).astype(np.float32)
    cube = rng.standard_normal((5, 6, 7))
    return {
        "contiguous": matrix,
        "transposed": matrix.T,  # a Linear weight the target takes the other way round
        "transposed_odd": rng.standard_normal((3, 1001)).astype(np.float32).T,
        "permuted": cube.transpose(2, 0, 1),
        "strided": matrix[::2, 1::3],
        "ints": np.arange(24, dtype=np.int64).reshape(2, 3, 4).T,
        "scalar": np.array(3.5, dtype=np.float32),
        "empty": np.zeros((0, 4), dtype=np.float32),
    }


@pytest.mark.parametrize("name", list(_arrays()))
@pytest.mark.parametrize("chunk_bytes", [1, 100, 4096, 1 << 24])
def test_chunks_are_the_c_order_bytes(name, chunk_bytes):
    array = _arrays()[name]
    pieces = [bytes(c) for c in c_order_chunks(array, chunk_bytes)]
    assert b"".join(pieces) == np.ascontiguousarray(array).tobytes()
    if array.flags.c_contiguous and array.nbytes:
        assert max(len(p) for p in pieces) <= chunk_bytes


def test_npz_is_what_np_savez_writes(tmp_path):
    arrays = _arrays()
    write_npz(arrays, str(tmp_path / "ours.npz"))
    np.savez(tmp_path / "numpy.npz", **{k: v.copy(order="C") for k, v in arrays.items()})
    ours, reference = zipfile.ZipFile(tmp_path / "ours.npz"), zipfile.ZipFile(tmp_path / "numpy.npz")
    assert ours.namelist() == reference.namelist()
    for member in reference.namelist():
        assert ours.read(member) == reference.read(member), member  # same .npy header and bytes
    with np.load(tmp_path / "ours.npz", allow_pickle=False) as loaded:
        for name, array in arrays.items():
            np.testing.assert_array_equal(loaded[name], array)
            assert loaded[name].flags.c_contiguous


def test_npz_refuses_object_arrays(tmp_path):
    with pytest.raises(ValueError, match="'bad' holds Python objects"):
        write_npz({"bad": np.array([object()])}, str(tmp_path / "w.npz"))


def test_a_released_memory_mapped_tensor_still_reads_its_values(tmp_path):
    data = np.arange(1 << 16, dtype=np.float32)
    data.tofile(tmp_path / "w.bin")
    mapped = np.memmap(tmp_path / "w.bin", dtype=np.float32, mode="r", shape=(256, 256))
    view = np.asarray(mapped).T  # what lowering hands the writer: a view of the mapping
    write_npz({"w": view}, str(tmp_path / "w.npz"))
    release(view)  # the pages leave this process; the file and the mapping stay valid
    np.testing.assert_array_equal(np.asarray(mapped).reshape(-1), data)
    with np.load(tmp_path / "w.npz") as loaded:
        np.testing.assert_array_equal(loaded["w"], data.reshape(256, 256).T)
    release(np.zeros(3))  # an ordinary array: nothing to release
