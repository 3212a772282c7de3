"""`porter weights`: convert further PyTorch checkpoints of a converted architecture, without re-exporting.

report.json's "parameters" map each target parameter to its source parameter (a state_dict key for
PyTorch sources) and the transform between them. Given a checkpoint of the same architecture (a
state_dict `.pt`/`.pth`/`.bin`, read by torch.load(weights_only=True) in its own process, a
`.safetensors`, read here with numpy, or a directory of such shards with its index: porter.checkpoints),
this writes the target's weights file, or shards of it and their index: every mapped tensor taken from
the checkpoint, checked against the conversion's shape and dtype, and the rest (constants porter or the
exporter made) copied from the conversion. Every check runs on the headers before anything is written;
then each output file is written one tensor at a time from memory-mapped inputs (in worker processes
with -j, as Ray tasks with --ray), so memory stays within a shard, not the model.

Wrong answers must not pass silently, so three things are errors:
- a parameter the map needs that the checkpoint lacks. For PyTorch conversions, OUT/source.onnx says
  which sources are parameters and persistent buffers (torch.export's InputSpec metadata); for ONNX
  sources nothing says so, and a source the checkpoint lacks is copied from the conversion (and listed);
- a state_dict tensor the exporter rewrote (a BatchNorm folded into the conv before it keeps the conv's
  name, but not torch.export's metadata): the checkpoint's raw conv weight would be wrong there;
- a float tensor of the checkpoint the map does not use (unless --allow-unused): the exporter merges
  identical tensors and folds constants, so it can be a weight this map cannot place.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import pickle  # only for its exception class: torch.load(weights_only=True) raises it
import re
import socket
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from porter import launcher
from porter.checkpoints import (  # noqa: F401  (read_safetensors: this module's API before the split)
    TORCH_SUFFIXES,
    Checkpoint,
    TensorRef,
    conversion_refs,
    numpy_dtype,
    open_checkpoint,
    open_tensors,
    read_safetensors,
    shard_files,
)
from porter.codegen import shards
from porter.codegen.shards import index_name, shard_pattern
from porter.codegen.tensors import release, write_npz
from porter.errors import OutputExists, PorterError, situation
from porter.output import raise_situation, remove_stale_temporaries, signals_deferred
from porter.workers import run_isolated

_OUTPUTS = {"paddle": (".npz", ".pdparams"), "mindspore": (".ckpt",)}
_SPEC = "pkg.torch.export.graph_signature.InputSpec."  # torch.onnx's metadata on the exported graph's weights


def load_checkpoint(path) -> dict[str, np.ndarray]:
    """The tensors of a checkpoint (a .safetensors, a state_dict .pt/.pth/.bin or a sharded directory), by
    state_dict key, in memory (a small checkpoint's convenience; porter weights reads them one at a time)."""
    with tempfile.TemporaryDirectory(prefix="porter-weights-") as tmp:
        source, opened = open_checkpoint(path, Path(tmp)), {}
        return {key: np.array(_array(ref, opened)) for key, ref in source.tensors.items()}


def conversion_weights(out_dir: Path, target: str) -> dict[str, np.ndarray]:
    """The weights a conversion wrote (sharded or not), by target parameter name, in memory: copies, since a
    caller may rewrite those files (a memory-mapped view of a truncated file is a SIGBUS when read)."""
    opened: dict = {}
    return {name: np.array(_array(ref, opened)) for name, ref in conversion_refs(Path(out_dir), target).items()}


def _array(ref: TensorRef, opened: dict) -> np.ndarray:
    if ref.file not in opened:
        opened[ref.file] = open_tensors(ref.file, ref.kind)
    array = opened[ref.file][ref.member]
    want = numpy_dtype(ref.dtype)
    return array if array.dtype == want else array.view(want)  # a torch dump's bfloat16 is stored as uint16


def _export_kinds(out_dir: Path) -> tuple[set[str], set[str]] | None:
    """(state_dict names, other initializers) of OUT/source.onnx, which PyTorch conversions keep, by
    torch.export's metadata; None where there is none (an ONNX source, or an exporter without it)."""
    path = out_dir / "source.onnx"
    if not path.is_file():
        return None
    from porter.frontends.onnx_source import read_model
    from porter.torch_graph import linear_weights  # the rule porter named torch.onnx's renamed Linear weights by

    # lazy: the exporter keeps a model under 2 GB inline; parsing that would copy every weight into memory
    graph = read_model(path, str(path), lazy=True).graph
    stored, marked = set(linear_weights(graph).values()), False
    for value in [*graph.input, *graph.value_info]:
        meta = {p.key.removeprefix(_SPEC): p.value for p in value.metadata_props}
        marked |= "kind" in meta
        # non-persistent buffers are not in a state_dict: they come from the conversion like constants
        if meta.get("kind") == "PARAMETER" or (meta.get("kind") == "BUFFER" and meta.get("persistent") == "True"):
            stored.add(value.name)
    others = {i.name for i in graph.initializer} - stored
    return (stored, others) if marked else None


def convert_checkpoint(
    checkpoint,
    report_path,
    out_path,
    *,
    force: bool = False,
    allow_unused: bool = False,
    max_shard_size: int | None = None,
    jobs: int = 1,
    ray_address: str | None = None,
) -> dict:
    """Write the target weights for `checkpoint` (a file or a sharded directory) by the map in report_path;
    as shards of at most max_shard_size bytes plus an index when given, `jobs` shards at a time, or as Ray
    tasks when ray_address is not None ("": a local instance, or the one this process already attached to;
    else a cluster's address, whose nodes must see the checkpoint, the conversion and out_path at the same
    paths). Returns {"mapped": n, "kept_from_conversion": [target names], "unused": [checkpoint keys],
    "cast": [...], "notes": [...], "written": path, "files": [files written]}."""
    report_path, out_path = Path(report_path), Path(out_path)
    if ray_address is not None:  # a Ray worker runs in a folder of Ray's, maybe on another machine
        checkpoint, report_path, out_path = Path(checkpoint).absolute(), report_path.absolute(), out_path.absolute()
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
        target, rows = report["target"], report["parameters"]
    except (OSError, ValueError, KeyError, TypeError):
        raise PorterError(f"{report_path}: not a porter report.json") from None
    if target not in _OUTPUTS:
        raise PorterError(f"{report_path}: unknown target {target!r}")
    if out_path.suffix not in _OUTPUTS[target]:
        raise PorterError(f"{out_path}: {target} weights are written as {' or '.join(_OUTPUTS[target])}")
    if out_path.is_dir():
        raise OutputExists(f"{out_path}: is a directory; name the weights file")
    existing = _previous_outputs(out_path)
    if existing and not force:
        raise OutputExists(f"{existing[0]}: exists (use --force to replace it)")
    reference = conversion_refs(report_path.parent, target)
    # without source.onnx's metadata nothing tells a parameter from a constant the exporter named
    stored, others = _export_kinds(report_path.parent) or (set(), set())
    with _dump_folder(Path(checkpoint), out_path, ray_address) as dumps:  # state_dict shards, as .npz
        source = open_checkpoint(checkpoint, Path(dumps), jobs)
        plan, summary = _plan(source, reference, rows, report_path, stored, others, allow_unused)
        summary["files"] = _write_all(plan, out_path, max_shard_size, jobs, ray_address)
    summary["written"] = str(out_path)
    return summary


def _dump_folder(checkpoint: Path, out_path: Path, ray_address: str | None):
    """Where state_dict shards are dumped: a temporary folder; for a Ray cluster, beside the output (its nodes
    see out_path's folder, not this machine's temporary one), named so that a killed run's is removed by the
    next run (porter.output.remove_stale_temporaries)."""
    files, _ = shard_files(checkpoint) if ray_address and checkpoint.exists() else ([], None)
    if not any(file.suffix in TORCH_SUFFIXES for file, _ in files):  # safetensors are read where they are
        return tempfile.TemporaryDirectory(prefix="porter-weights-")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(prefix=f".{out_path.name}.porter-{os.getpid()}-dumps-", dir=out_path.parent)


def _plan(source: Checkpoint, reference: dict[str, TensorRef], rows, report_path, stored, others, allow_unused):
    """(target name, where its data is, transform, dtype) for every parameter, in the map's order, and the
    summary; every check runs here, on the headers, before a byte is written."""
    tensors, plan, mapped, kept, cast, missing = source.tensors, [], 0, [], [], []
    for row in rows:
        name, key, transform = row["target"], row["source"], row.get("transform")
        if name not in reference:
            raise PorterError(f"{report_path}: parameter {name!r} is not in the conversion's weights")
        if transform not in (None, "transpose"):
            raise PorterError(f"{report_path}: unknown transform {transform!r} for {name!r}")
        want = reference[name]
        if key in others and key in tensors:
            raise PorterError(
                f"{tensors[key].shard}: {key!r} (parameter {name!r}) was rewritten by the exporter (another layer, "
                "such as a BatchNorm, folded into it); convert from this checkpoint instead"
            )
        if key not in tensors:
            if key in stored:
                missing.append(f"{key!r} (for parameter {name!r})")
                continue
            plan.append((name, want, None, want.dtype))  # made by porter or the exporter (folded constants, buffers)
            kept.append(name)
            continue
        ref = tensors[key]
        shape = ref.shape[::-1] if transform == "transpose" else ref.shape  # as the op maps did (2-D weights)
        if tuple(shape) != tuple(want.shape):
            raise PorterError(
                f"{ref.shard}: {key!r} has shape {list(shape)}, the conversion's parameter {name!r} has "
                f"{list(want.shape)} (a different architecture or config?)"
            )
        if ref.dtype != want.dtype:
            # a bf16/fp16 checkpoint of an fp32 conversion is cast; a float for an integer (or back) is wrong
            if numpy_dtype(ref.dtype).kind not in "fV" or numpy_dtype(want.dtype).kind != "f":
                raise PorterError(f"{ref.shard}: {key!r} is {ref.dtype}, the conversion's parameter {name!r} is {want.dtype}")  # fmt: skip
            cast.append(f"{key}: {ref.dtype} -> {want.dtype}")
        plan.append((name, ref, transform, want.dtype))
        mapped += 1
    used = {row["source"] for row in rows}
    unused = sorted(k for k in tensors if k not in used)
    unused_floats = [k for k in unused if numpy_dtype(tensors[k].dtype).kind in "fV"]  # V: bfloat16
    label = source.label
    if mapped == 0:  # often a prefix ("module." from DistributedDataParallel): show one name of each side
        first = f" (the map's first source is {rows[0]['source']!r}, " if rows else " ("
        raise PorterError(f"{label}: no tensor of the checkpoint matches the map{first}its first key {next(iter(tensors), None)!r})")  # fmt: skip
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise PorterError(f"{label}: has no {shown}, which the map needs (a different architecture?)")
    if unused_floats and not allow_unused:
        shown = ", ".join(f"{k} ({tensors[k].shard})" if tensors[k].shard != label else k for k in unused_floats[:5])
        raise PorterError(
            f"{label}: {len(unused_floats)} float tensor(s) the map does not place ({shown}"
            f"{' ...' if len(unused_floats) > 5 else ''}); the exporter may have merged or folded them. "
            "Convert from this checkpoint instead, or pass --allow-unused."
        )
    return plan, {"mapped": mapped, "kept_from_conversion": kept, "unused": unused, "cast": cast, "notes": source.notes}


def _previous_outputs(out_path: Path) -> list[Path]:
    """What a write to out_path replaces: the file, or an index and shards of the same name (load_model
    would follow an old index before a new single file)."""
    pattern = shard_pattern(out_path.name)
    found = [out_path, out_path.with_name(index_name(out_path.name))]
    numbered = sorted(p for p in out_path.parent.glob("*") if pattern.fullmatch(p.name)) if out_path.parent.is_dir() else []  # fmt: skip
    return [p for p in found if p.exists()] + numbered


def _write_all(plan, out_path: Path, max_shard_size: int | None, jobs: int, ray_address: str | None) -> list[str]:
    """Write the planned tensors as out_path, or as its shards and index. The files appear together: all
    are written as hidden temporaries beside them (named after out_path and this process, so a killed
    run's are removed by the next; by worker processes or Ray tasks too), then renamed into place with
    SIGINT/SIGTERM held, the index last; what an earlier run left under these names and the new set does
    not use is removed after."""
    sizes = [(i, math.prod(ref.shape) * numpy_dtype(dtype).itemsize) for i, (_, ref, _, dtype) in enumerate(plan)]
    groups = shards.plan(sizes, max_shard_size) if max_shard_size else [[i for i, _ in sizes]]
    previous = _previous_outputs(out_path)
    names = [out_path.name] if len(groups) == 1 else shards.shard_names(out_path.name, len(groups))
    if len(names) > 1:
        names.append(index_name(out_path.name))
    temporary = {name: out_path.with_name(f".{out_path.name}.tmp-{os.getpid()}-{name}") for name in names}
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(out_path)
        files = names[: len(groups)]  # the weights files (the index, if any, comes after them)
        tasks = [(name, (str(temporary[name]), [plan[i] for i in group])) for name, group in zip(files, groups, strict=True)]  # fmt: skip
        if ray_address is not None or (jobs > 1 and len(tasks) > 1):  # whole files each, one tensor at a time
            # closed before the temporaries are removed below: the writers still running are stopped first
            with contextlib.closing(_writers(tasks, jobs, ray_address)) as outcomes:
                for outcome in outcomes:
                    error = outcome.value if outcome.ok else f"the writer died ({outcome.error})"
                    if error:
                        raise PorterError(f"{out_path.parent / outcome.key}: {error}")
            for name in files:  # a node that wrote the file into its own folder of that name, not the shared one
                if not temporary[name].is_file():
                    raise PorterError(
                        f"{out_path.parent / name}: a Ray task wrote it, but not into {out_path.parent} as this "
                        f"machine ({socket.gethostname()}) sees it; -o must be on storage every node sees"
                    )
        else:
            for _, (path, entries) in tasks:
                _write_file(entries, Path(path))
        if len(names) > 1:
            total = sum(size for _, size in sizes)
            index = shards.index_json([[plan[i][0] for i in group] for group in groups], files, total)
            temporary[names[-1]].write_text(index, encoding="utf-8")
        with signals_deferred():
            for name in names:
                os.replace(temporary[name], out_path.parent / name)
            for old in previous:
                if old.name not in names:
                    old.unlink(missing_ok=True)
    except BaseException as exc:
        raise_situation(exc, out_path)
        raise
    finally:
        for path in temporary.values():
            path.unlink(missing_ok=True)
    return names


def _writers(tasks, jobs: int, ray_address: str | None):
    """The Outcome of each writer task: worker processes here, or Ray tasks (one file each)."""
    if ray_address is None:
        return run_isolated(tasks, "porter.weights:write_shard", jobs=jobs, timeout=24 * 3600)
    from porter.check.ray_backend import run_on_ray  # Ray is optional: imported only when asked for

    # in the Ray workers themselves (no framework is loaded: numpy writes the files), so porter is imported
    # once per Ray worker rather than once per shard
    return run_on_ray(tasks, "porter.weights:write_shard", address=ray_address or None, chunk_size=1, isolated=False)


def write_shard(payload) -> str:
    """A worker's task (porter.workers): write one file of the plan; returns "" or the error, in one line."""
    path, entries = payload
    unseen = _unseen(Path(path), entries)
    if unseen:
        return (
            f"{unseen} does not exist on {socket.gethostname()}, where this file was to be written (with --ray on "
            "a cluster, the checkpoint, the conversion and -o must be on storage every node sees, at the same path)"
        )
    try:
        _write_file(entries, Path(path))
    except PorterError as exc:
        return str(exc)
    except OSError as exc:
        return situation(exc) or f"{type(exc).__name__}: {exc}"
    return ""


def _unseen(path: Path, entries) -> str:
    """The first input file or output folder of a task that this machine does not have, or ""."""
    if not path.parent.is_dir():
        return str(path.parent)
    return next((ref.file for _, ref, _, _ in entries if not os.path.isfile(ref.file)), "")


class _Tensors(Mapping):
    """The planned tensors of one file, each read (memory-mapped, transposed, cast) only when the writer
    asks for it, so a writer holds one tensor at a time."""

    def __init__(self, entries):
        self._entries = {name: (ref, transform, dtype) for name, ref, transform, dtype in entries}
        self._opened: dict = {}

    def __iter__(self):
        return iter(self._entries)

    def __len__(self):
        return len(self._entries)

    def __getitem__(self, name):
        ref, transform, dtype = self._entries[name]
        array = _array(ref, self._opened)
        if transform == "transpose":
            array = array.T  # a view: porter.codegen.tensors transposes it tile by tile as it writes
        if array.dtype != numpy_dtype(dtype):
            source, array = array, array.astype(numpy_dtype(dtype))
            release(source)  # the cast copy is what is written; the source's pages can go
        return array


def _write_file(entries, out_path: Path) -> None:
    state = _Tensors(entries)
    if out_path.suffix == ".npz":
        write_npz(state, str(out_path))
    elif out_path.suffix == ".ckpt":
        from porter.op_maps.mindspore._checkpoint import write_checkpoint

        write_checkpoint(state, str(out_path))
    else:  # .pdparams: Paddle's own (pickle) format, written by paddle in its own process
        with tempfile.TemporaryDirectory(prefix="porter-weights-") as folder:
            write_npz(state, str(Path(folder) / "state.npz"))
            code = (
                "import sys, numpy as np, paddle\n"
                "d = np.load(sys.argv[1], allow_pickle=False)\n"
                "paddle.save({k: paddle.to_tensor(d[k]) for k in d.files}, sys.argv[2])\n"
            )
            argv = launcher.python_command(None, Path(folder) / "state.npz", out_path, code=code)
            try:
                launcher.run(argv, "paddle.save", timeout=3600)
            except launcher.HelperFailed as exc:
                raise PorterError(f"{out_path}: paddle.save failed ({exc.reason})") from None


def dump_checkpoint(checkpoint: str, out_dir: str) -> int:
    """torch.load(weights_only=True) -> OUT_DIR/state.npz (t0, t1, ...) + index.json (names, dtypes)."""
    import torch

    try:
        state, notes = torch.load(checkpoint, map_location="cpu", weights_only=True), []
    except pickle.UnpicklingError as exc:
        # torch's message is a paragraph; the blocked global is the part that says what the file holds
        found = re.search(r"GLOBAL (\S+)", str(exc))
        what = f"the global {found.group(1)}" if found else "an object that is not a tensor"
        print(
            f"{launcher.ERROR_PREFIX}it refers to {what}, which torch.load(weights_only=True) blocks (unpickling it "
            "could run code); save a plain state_dict (torch.save(model.state_dict(), path)) or use safetensors",
            file=sys.stderr,
        )
        return 2
    except Exception as exc:  # a corrupt or foreign file: torch raises many types
        first = (str(exc).strip().splitlines() or [""])[0]
        print(
            f"{launcher.ERROR_PREFIX}not a readable PyTorch checkpoint ({type(exc).__name__}: {first})", file=sys.stderr
        )
        return 2
    for key in ("state_dict", "model"):  # training scripts' {"model": state_dict, "optimizer": ..., "epoch": ...}
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            others = ", ".join(repr(k) for k in state if k != key)
            notes.append(f"read the state_dict under {key!r}" + (f"; ignored {others}" if others else ""))
            state = state[key]
            break
    if not isinstance(state, dict):
        print(f"{launcher.ERROR_PREFIX}not a state_dict: {type(state).__name__}", file=sys.stderr)
        return 2
    arrays, tensors = {}, []
    for name, t in state.items():
        if not isinstance(t, torch.Tensor):
            notes.append(f"ignored non-tensor entry {name!r}")
            continue
        t = t.detach().cpu()
        # bfloat16: numpy has no such dtype and .npz would keep it as raw bytes (|V2); store the bits
        array = t.view(torch.int16).numpy().view(np.uint16) if t.dtype == torch.bfloat16 else t.numpy()
        arrays[f"t{len(tensors)}"] = array
        tensors.append([str(name), "bfloat16" if t.dtype == torch.bfloat16 else array.dtype.name])
    np.savez(Path(out_dir) / "state.npz", **arrays)
    (Path(out_dir) / "index.json").write_text(json.dumps({"tensors": tensors, "notes": notes}))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "dump":
        sys.exit("usage: python -m porter.weights dump CHECKPOINT OUT_DIR (porter's private torch reader)")
    sys.exit(dump_checkpoint(sys.argv[2], sys.argv[3]))
