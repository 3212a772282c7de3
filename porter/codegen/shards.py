"""Sharded weights: a model's tensors over several files plus an index, as Hugging Face checkpoints ship.

`model.npz` split at --max-shard-size becomes `model-00001-of-00003.npz`, ... and `model.npz.index.json`
({"metadata": {"total_size": bytes}, "weight_map": {parameter: shard file}}), the layout of
`model.safetensors.index.json`; a model that fits in one shard stays one plain file with no index (as
transformers' save_pretrained does), so load_model reads exactly what an unsharded conversion wrote.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

# decimal units as transformers' max_shard_size="5GB" means them, and the binary ones spelled out
_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12}
_UNITS.update({"KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40})
_SIZE = re.compile(r"\s*(\d+(?:\.\d*)?)\s*([A-Za-z]*)\s*")


def parse_size(text: str) -> int:
    """'2GB' -> 2_000_000_000, '500MiB' -> 524_288_000, '1024' -> 1024 bytes; ValueError otherwise."""
    found = _SIZE.fullmatch(str(text))
    unit = found.group(2).upper() if found else None
    if found is None or unit not in _UNITS:
        raise ValueError(f"{text!r} is not a size (e.g. 2GB, 500MB, 1GiB, or bytes)")
    size = int(float(found.group(1)) * _UNITS[unit])
    if size <= 0:
        raise ValueError(f"{text!r}: a shard size must be positive")
    return size


def index_name(weights_file: str) -> str:
    return f"{weights_file}.index.json"


def shard_names(weights_file: str, count: int) -> list[str]:
    stem, dot, suffix = weights_file.rpartition(".")
    return [f"{stem}-{i:05d}-of-{count:05d}{dot}{suffix}" for i in range(1, count + 1)]


def shard_pattern(weights_file: str) -> re.Pattern:
    """Matches the shard files of any count (to find a previous run's)."""
    stem, dot, suffix = weights_file.rpartition(".")
    return re.compile(rf"{re.escape(stem)}-\d{{5,}}-of-\d{{5,}}{re.escape(dot + suffix)}")


def plan(sizes: Iterable[tuple[str, int]], max_bytes: int) -> list[list[str]]:
    """Names in order, cut into groups of at most max_bytes (a tensor larger than that is a group alone):
    the order is kept, so the shards concatenated hold the tensors as the single file would."""
    groups: list[list[str]] = []
    filled = max_bytes
    for name, size in sizes:
        if groups and filled + size <= max_bytes:
            groups[-1].append(name)
            filled += size
        else:
            groups.append([name])
            filled = size
    return groups or [[]]


def index_json(groups: list[list[str]], files: list[str], total_size: int) -> str:
    weight_map = {name: file for names, file in zip(groups, files, strict=True) for name in names}
    return json.dumps({"metadata": {"total_size": total_size}, "weight_map": weight_map}, indent=2) + "\n"


def read_index(path: Path) -> list[str]:
    """The shard files an index names, in order of first appearance; ValueError when it is not one."""
    data = json.loads(path.read_text(encoding="utf-8"))
    weight_map = data.get("weight_map") if isinstance(data, dict) else None
    if not isinstance(weight_map, dict) or not all(isinstance(v, str) for v in weight_map.values()):
        raise ValueError(f"{path}: not a weights index (no 'weight_map' of parameter -> file)")
    return list(dict.fromkeys(weight_map.values()))


def write_sharded(
    state: dict[str, np.ndarray],
    directory: Path,
    weights_file: str,
    write: Callable[[dict[str, np.ndarray], str], None],
    max_bytes: int | None,
) -> list[str]:
    """Write `state` as weights_file, or as shards of at most max_bytes plus their index; returns the files."""
    groups = plan(((name, np.asarray(value).nbytes) for name, value in state.items()), max_bytes) if max_bytes else []
    if len(groups) <= 1:
        write(state, str(directory / weights_file))
        return [weights_file]
    files = shard_names(weights_file, len(groups))
    for names, file in zip(groups, files, strict=True):
        write({name: state[name] for name in names}, str(directory / file))
    total = sum(np.asarray(value).nbytes for value in state.values())
    (directory / index_name(weights_file)).write_text(index_json(groups, files, total), encoding="utf-8")
    return [*files, index_name(weights_file)]


def load_lines(weights_file: str, read_file: list[str], apply: str) -> list[str]:
    """load_model's body that reads weights_file, or the shards its index names: `read_file` are the lines
    reading one file (its path in `path`) into the dict `state`; `apply` hands `state` to the model."""
    return [
        "folder = weights_dir or os.path.dirname(os.path.abspath(__file__))",
        f'index = os.path.join(folder, "{index_name(weights_file)}")',
        f'files = ["{weights_file}"]',
        "if os.path.exists(index):  # sharded weights: the index maps each parameter to its file",
        '    with open(index, encoding="utf-8") as f:',
        '        files = list(dict.fromkeys(json.load(f)["weight_map"].values()))',
        "state = {}",
        "for name in files:",
        "    path = os.path.join(folder, os.path.basename(name))  # never outside the folder",
        *[f"    {line}" for line in read_file],
        apply,
    ]
