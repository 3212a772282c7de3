"""Weights to files one tensor at a time, each in bounded pieces: a conversion never holds a second copy
of the model's weights, whether they come memory-mapped from the source or were computed in lowering.

A tensor's bytes are produced in C order straight from the array as lowering left it: a contiguous array
is sliced, and a matrix the target layer takes the other way round (Paddle's Linear holds [in, out],
ONNX's Gemm often [out, in]) arrives as a transposed view and is transposed here, tile by tile into one
reused buffer, which is also several times faster than numpy's whole-array transpose copy.
"""

from __future__ import annotations

import contextlib
import mmap
import zipfile
from collections.abc import Iterator

import numpy as np

CHUNK_BYTES = 16 << 20
# Tiles of a transposed copy: TILE source rows at a time (a 16 x 256 tile is 16 KiB: it stays in L1),
# blocks of up to MAX_BLOCK_ROWS output rows. fp32 on the shared 2-core machine, GB/s for 16 x 256 tiles
# against np.ascontiguousarray of the view: [1024, 4096] 1.03 vs 0.20, [4096, 1024] 0.91 vs 0.22,
# [4096, 9216] 0.84 vs 0.14 (16 x 1024 tiles: 0.62, 0.61, 0.67; 64 x 64: 0.28, 0.56, 0.53).
TILE = 16
MAX_BLOCK_ROWS = 256


def c_order_chunks(array: np.ndarray, chunk_bytes: int = CHUNK_BYTES) -> Iterator[memoryview]:
    """The array's bytes in C order, in pieces of about chunk_bytes (a reused buffer: write each piece
    before asking for the next)."""
    array = np.asarray(array)
    if array.size == 0:
        return
    if array.flags.c_contiguous:
        flat = array.reshape(-1).view(np.uint8)
        for start in range(0, flat.size, chunk_bytes):
            yield memoryview(flat[start : start + chunk_bytes])
    elif array.ndim == 2 and array.T.flags.c_contiguous:
        yield from _transposed_chunks(array, chunk_bytes)
    else:
        row_bytes = array[0].nbytes or 1
        step = max(1, chunk_bytes // row_bytes)
        for start in range(0, array.shape[0], step):
            yield memoryview(np.ascontiguousarray(array[start : start + step]).reshape(-1).view(np.uint8))


def _transposed_chunks(array: np.ndarray, chunk_bytes: int) -> Iterator[memoryview]:
    source = array.T  # C-contiguous, [cols, rows] of the array
    rows, cols = array.shape
    block = int(min(MAX_BLOCK_ROWS, max(1, chunk_bytes // max(1, cols * array.itemsize))))
    buffer = np.empty((block, cols), dtype=array.dtype)
    for start in range(0, rows, block):
        out = buffer[: min(block, rows - start)]
        for col in range(0, cols, TILE):
            out[:, col : col + TILE] = source[col : col + TILE, start : start + block].T
        yield memoryview(out.reshape(-1).view(np.uint8))


def release(array: np.ndarray) -> None:
    """Once a memory-mapped tensor is written, drop its pages from this process (they stay in the page
    cache): the conversion's resident memory then holds about one tensor, not every tensor it has read."""
    base = array
    while base is not None:
        mapped = base if isinstance(base, mmap.mmap) else getattr(base, "_mmap", None)  # np.frombuffer(mmap)
        if isinstance(mapped, mmap.mmap):
            with contextlib.suppress(ValueError, OSError, AttributeError):  # closed, or no madvise here
                mapped.madvise(mmap.MADV_DONTNEED)
            return
        base = getattr(base, "base", None)


def write_npz(state: dict[str, np.ndarray], path: str) -> None:
    """The .npz np.savez writes (stored zip64 members, one .npy each, C order), tensor by tensor."""
    with zipfile.ZipFile(path, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, value in state.items():
            array = np.asarray(value)
            if array.dtype.hasobject:
                raise ValueError(f"weight {name!r} holds Python objects; a .npz for np.load(allow_pickle=False) cannot")
            header = {
                "descr": np.lib.format.dtype_to_descr(array.dtype),
                "fortran_order": False,
                "shape": array.shape,
            }
            with archive.open(name + ".npy", "w", force_zip64=True) as member:
                try:
                    np.lib.format.write_array_header_1_0(member, header)
                except ValueError:  # a header over 64 KiB (a very long shape): the 2.0 format, as np.save does
                    np.lib.format.write_array_header_2_0(member, header)
                for chunk in c_order_chunks(array):
                    member.write(chunk)
            release(value)
