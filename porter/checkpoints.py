"""Checkpoints as lists of tensors on disk, read one tensor at a time: the files `porter weights` reads.

A checkpoint is one file (.safetensors, or a state_dict .pt/.pth/.bin) or a directory of shards with the
index Hugging Face writes (`model.safetensors.index.json` / `pytorch_model.bin.index.json`:
{"metadata": {...}, "weight_map": {state_dict key: shard file}}); the index json itself may be named.
Nothing here holds a model's arrays: each tensor is a TensorRef (file, member, dtype, shape), opened as
a memory-mapped view when it is written (porter.codegen.tensors then drops its pages). A state_dict shard
can only be read whole, by torch.load(weights_only=True) in its own process (porter.weights dump), which
writes it to an uncompressed .npz that is then memory-mapped like the rest: memory stays within the
largest shard. porter's own weights (model.npz / model.ckpt, or their shards and index) read the same way.
"""

from __future__ import annotations

import io
import json
import math
import struct
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from porter import launcher
from porter.codegen.shards import index_name, read_index
from porter.errors import InvalidModel, PorterError

SAFETENSORS_DTYPES = {
    "F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16", "I64": "int64", "I32": "int32",
    "I16": "int16", "I8": "int8", "U8": "uint8", "BOOL": "bool",
}  # fmt: skip
_HEADER_LIMIT = 100 * 1024 * 1024  # the safetensors reference implementation's limit
SAFETENSORS_SUFFIX = ".safetensors"
TORCH_SUFFIXES = (".pt", ".pth", ".bin")
INDEX_FILES = ("model.safetensors.index.json", "pytorch_model.bin.index.json")
SINGLE_FILES = ("model.safetensors", "pytorch_model.bin")


@dataclass(frozen=True)
class TensorRef:
    """Where one tensor lies: `member` of `file` (read as `kind`), and what it is."""

    file: str
    kind: str  # "safetensors", "npz" or "ckpt"
    member: str
    dtype: str  # a numpy dtype name; "bfloat16" too (stored as uint16 in a torch dump)
    shape: tuple[int, ...]
    shard: str  # the file as the user knows it, for messages (a torch shard, not its dump)


@dataclass
class Checkpoint:
    tensors: dict[str, TensorRef]  # by state_dict key
    notes: list[str]
    label: str  # what the user named


def numpy_dtype(name: str) -> np.dtype:
    if name == "bfloat16":
        import ml_dtypes

        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(name)


def read_safetensors(path) -> dict[str, np.ndarray]:
    """A .safetensors file as numpy arrays: 8-byte little-endian header size, JSON header, raw data."""
    path = Path(path)
    data = np.memmap(path, dtype=np.uint8, mode="r") if path.stat().st_size else np.zeros(0, np.uint8)
    if len(data) < 8:
        raise InvalidModel(f"{path}: too short to be a safetensors file")
    (size,) = struct.unpack("<Q", data[:8].tobytes())
    if size > min(_HEADER_LIMIT, len(data) - 8):
        raise InvalidModel(f"{path}: safetensors header size {size} is larger than the file")
    try:
        header = json.loads(data[8 : 8 + size].tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InvalidModel(f"{path}: the safetensors header is not JSON") from None
    except RecursionError:  # a header nested thousands deep: no real header is
        raise InvalidModel(f"{path}: the safetensors header is nested too deeply to be one") from None
    if not isinstance(header, dict):
        raise InvalidModel(f"{path}: the safetensors header is not a JSON object")
    body = data[8 + size :]
    state, spans = {}, []
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        try:
            dtype = numpy_dtype(SAFETENSORS_DTYPES[entry["dtype"]])
            shape = [_integer(d) for d in entry["shape"]]
            begin, end = (_integer(o) for o in entry["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise InvalidModel(f"{path}: tensor {name!r}: malformed or unsupported header entry {entry!r}") from None
        if any(d < 0 for d in shape):
            raise InvalidModel(f"{path}: tensor {name!r}: negative dimension in shape {shape}")
        # exact integer arithmetic: numpy's int64 product of [2**62, 2**62, 0] wraps around
        if not 0 <= begin <= end <= len(body) or end - begin != math.prod(shape) * dtype.itemsize:
            raise InvalidModel(f"{path}: tensor {name!r}: data offsets {begin}..{end} do not fit its shape/dtype")
        try:
            state[name] = body[begin:end].view(dtype).reshape(shape)  # read-only, read from disk on use
        except ValueError:
            raise InvalidModel(f"{path}: tensor {name!r}: shape {shape} is too large to represent") from None
        spans.append((begin, end, name))
    # two tensors sharing bytes would alias (writing one changes the other); safetensors refuses it too
    spans.sort()
    for (_, end, first), (begin, _, second) in zip(spans, spans[1:]):
        if begin < end:
            raise InvalidModel(f"{path}: tensors {first!r} and {second!r} overlap in the file (data offsets)")
    return state


def _integer(value) -> int:
    """A JSON integer (json gives bool for true/false and float for 1.5: neither is a size)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(value)
    return value


def dump_torch(path: Path, out_dir: Path) -> tuple[list[list[str]], list[str]]:
    """torch.load(weights_only=True) of a state_dict in a subprocess (torch stays out of porter: it and
    mindspore cannot share a process), written to out_dir/state.npz (t0, t1, ...); returns the
    [key, dtype] of each tensor (bfloat16 is stored as uint16) and notes on what was left out."""
    try:
        launcher.run(launcher.python_command("porter.weights", "dump", path, out_dir), "torch.load", timeout=3600)
    except launcher.HelperFailed as exc:
        raise InvalidModel(f"{path}: cannot read the checkpoint ({exc.reason})") from None
    index = json.loads((Path(out_dir) / "index.json").read_text())
    return index["tensors"], index["notes"]


def shard_files(path: Path) -> tuple[list[tuple[Path, list[str] | None]], Path | None]:
    """The checkpoint's files, each with the keys its index puts there (None: no index), and the index."""
    if path.is_dir():
        index = next((path / n for n in INDEX_FILES if (path / n).is_file()), None)
        if index is None:
            single = next((path / n for n in SINGLE_FILES if (path / n).is_file()), None)
            if single is None:
                raise InvalidModel(
                    f"{path}: a checkpoint directory holds {' or '.join(INDEX_FILES)} (and its shards) "
                    f"or {' or '.join(SINGLE_FILES)}; found neither"
                )
            return [(single, None)], None
        path = index
    if not path.is_file():
        raise InvalidModel(f"{path}: no such file")
    if path.name.endswith(".index.json"):
        return _index_shards(path), path
    return [(path, None)], None


def _index_shards(index: Path) -> list[tuple[Path, list[str]]]:
    try:
        data = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidModel(f"{index}: not a JSON checkpoint index") from None
    weight_map = data.get("weight_map") if isinstance(data, dict) else None
    if not isinstance(weight_map, dict) or not weight_map:
        raise InvalidModel(f"{index}: no 'weight_map' of state_dict key -> shard file")
    root = index.parent.resolve()
    shards: dict[str, list[str]] = {}
    for key, name in weight_map.items():
        if not isinstance(name, str) or not name:
            raise InvalidModel(f"{index}: the shard of {key!r} is {name!r}, not a file name")
        shards.setdefault(name, []).append(key)
    out = []
    for name, keys in shards.items():
        # an index names files beside it; '../x', '/etc/x' or a link out of the directory would read elsewhere
        file = (root / name).resolve()
        if Path(name).is_absolute() or not file.is_relative_to(root):
            raise InvalidModel(f"{index}: shard {name!r} (of {keys[0]!r}) lies outside {root}; refused")
        if not file.is_file():
            raise InvalidModel(f"{index}: shard {name!r} (holding {keys[0]!r} and {len(keys) - 1} more) is missing")
        if file.suffix != SAFETENSORS_SUFFIX and file.suffix not in TORCH_SUFFIXES:
            raise InvalidModel(f"{index}: shard {name!r} is neither .safetensors nor a state_dict .pt/.pth/.bin")
        out.append((file, keys))
    return out


def open_checkpoint(path, dump_dir: Path, jobs: int = 1) -> Checkpoint:
    """The tensors of a checkpoint file or sharded directory, by key (headers read, no data). State_dict
    shards are dumped into dump_dir, `jobs` at a time (each a torch process holding one shard)."""
    path = Path(path)
    files, index = shard_files(path)
    if index is None and files[0][0].suffix not in (SAFETENSORS_SUFFIX, *TORCH_SUFFIXES):
        raise PorterError(f"{path}: a checkpoint is a .safetensors, a state_dict .pt/.pth/.bin, or a sharded directory")

    def read(item) -> tuple[dict[str, TensorRef], list[str]]:
        number, (file, _) = item
        shard = str(file.relative_to(index.parent.resolve())) if index is not None else str(file)
        if file.suffix == SAFETENSORS_SUFFIX:
            refs = {
                k: TensorRef(str(file), "safetensors", k, a.dtype.name, a.shape, shard)
                for k, a in read_safetensors(file).items()
            }
            return refs, []
        dump = dump_dir / f"shard-{number}"
        dump.mkdir()
        names, notes = dump_torch(file, dump)
        arrays = npz_members(dump / "state.npz")
        refs = {
            key: TensorRef(str(dump / "state.npz"), "npz", f"t{i}", dtype, arrays[f"t{i}"].shape, shard)
            for i, (key, dtype) in enumerate(names)
        }
        return refs, [f"{shard}: {n}" if index is not None else n for n in notes]

    with ThreadPoolExecutor(max(1, jobs)) as pool:  # the work is in torch subprocesses; safetensors is headers
        results = list(pool.map(read, enumerate(files)))
    tensors: dict[str, TensorRef] = {}
    notes: list[str] = []
    for (file, keys), (refs, shard_notes) in zip(files, results, strict=True):
        notes += shard_notes
        shard = next(iter(refs.values())).shard if refs else file.name
        for key in keys or ():
            if key not in refs:  # the index and the shard disagree: which one is the model?
                raise InvalidModel(f"{index}: the weight_map puts {key!r} in {shard}, which lacks it")
        for key, ref in refs.items():
            if key in tensors:
                raise InvalidModel(f"{path}: {key!r} is in both {tensors[key].shard} and {shard}")
            tensors[key] = ref
    return Checkpoint(tensors, notes, str(path))


def npz_members(path) -> dict[str, np.ndarray]:
    """The arrays of an .npz as np.savez / porter write it (stored members, one .npy each), memory-mapped;
    a compressed member (np.savez_compressed) is read whole. np.load's arrays are copies."""
    path = Path(path)
    data = np.memmap(path, dtype=np.uint8, mode="r")
    out = {}
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidModel(f"{path}: not an .npz ({exc})") from None
    with archive:
        for info in archive.infolist():
            if not info.filename.endswith(".npy"):
                continue
            name = info.filename[: -len(".npy")]
            try:
                if info.compress_type != zipfile.ZIP_STORED:
                    with archive.open(info) as member:
                        out[name] = np.lib.format.read_array(member, allow_pickle=False)
                    continue
                start = _member_start(data, info)
                member = io.BytesIO(data[start : start + min(info.file_size, 1 << 20)].tobytes())
                version = np.lib.format.read_magic(member)
                read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0  # fmt: skip
                shape, fortran, dtype = read_header(member)
                if dtype.hasobject:
                    raise ValueError("it holds Python objects")
                body = data[start + member.tell() : start + info.file_size]
                count = int(np.prod(shape, dtype=np.int64))
                array = body[: count * dtype.itemsize].view(dtype)
                out[name] = array.reshape(shape[::-1]).T if fortran else array.reshape(shape)
            except ValueError as exc:
                raise InvalidModel(f"{path}: member {info.filename!r} is not a readable array ({exc})") from None
    return out


def _member_start(data: np.ndarray, info: zipfile.ZipInfo) -> int:
    """Where a stored member's bytes begin: after its local header (30 bytes, the name, the extra field)."""
    local = data[info.header_offset : info.header_offset + 30].tobytes()
    if len(local) != 30 or local[:4] != b"PK\x03\x04":
        raise ValueError("bad local header")
    name_length, extra_length = struct.unpack("<HH", local[26:30])
    return info.header_offset + 30 + name_length + extra_length


def open_tensors(file: str, kind: str) -> dict[str, np.ndarray]:
    """Every tensor of one file, as memory-mapped views (nothing is read until used)."""
    if kind == "safetensors":
        return read_safetensors(file)
    if kind == "npz":
        return npz_members(file)
    from porter.op_maps.mindspore._checkpoint import read_checkpoint

    try:
        return read_checkpoint(file, mapped=True)
    except ValueError as exc:
        raise PorterError(f"{file}: unreadable ({exc})") from None


def conversion_files(out_dir: Path, target: str) -> list[Path]:
    """The weights a conversion wrote: model.npz / model.ckpt, or the shards its index names."""
    single = out_dir / ("model.npz" if target == "paddle" else "model.ckpt")
    index = out_dir / index_name(single.name)
    if index.is_file():
        try:
            names = read_index(index)
        except (OSError, ValueError) as exc:
            raise PorterError(f"{index}: unreadable ({exc})") from None
        files = [out_dir / Path(n).name for n in names]
        missing = [f.name for f in files if not f.is_file()]
        if missing:
            raise PorterError(f"{index}: names {', '.join(missing)}, which is missing")
        return files
    if not single.is_file():
        raise PorterError(f"{single}: the conversion's weights are missing (the reference shapes come from them)")
    return [single]


def conversion_refs(out_dir: Path, target: str) -> dict[str, TensorRef]:
    """The conversion's weights by target parameter name (shapes and dtypes; the data stays on disk)."""
    kind = "npz" if target == "paddle" else "ckpt"
    refs = {}
    for file in conversion_files(out_dir, target):
        for name, array in open_tensors(str(file), kind).items():
            refs[name] = TensorRef(str(file), kind, name, array.dtype.name, array.shape, file.name)
    return refs
