"""`porter weights`: convert further PyTorch checkpoints of a converted architecture, without re-exporting.

report.json's "parameters" map each target parameter to its source parameter (a state_dict key for
PyTorch sources) and the transform between them. Given a checkpoint of the same architecture (a
state_dict `.pt`/`.pth`/`.bin`, read by torch.load(weights_only=True) in its own process, or a
`.safetensors`, read here with numpy), this writes the target's weights file: every mapped tensor taken
from the checkpoint, checked against the conversion's shape and dtype, and the rest (constants porter
or the exporter made) copied from the conversion.

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

import json
import math
import pickle  # only for its exception class: torch.load(weights_only=True) raises it
import re
import struct
import sys
import tempfile
from pathlib import Path

import click
import numpy as np

from porter import launcher
from porter.errors import InvalidModel, OutputExists, PorterError
from porter.output import atomic_file

SAFETENSORS_DTYPES = {
    "F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16", "I64": "int64", "I32": "int32",
    "I16": "int16", "I8": "int8", "U8": "uint8", "BOOL": "bool",
}  # fmt: skip
_TORCH_SUFFIXES = (".pt", ".pth", ".bin")
_OUTPUTS = {"paddle": (".npz", ".pdparams"), "mindspore": (".ckpt",)}
_HEADER_LIMIT = 100 * 1024 * 1024  # the safetensors reference implementation's limit
_SPEC = "pkg.torch.export.graph_signature.InputSpec."  # torch.onnx's metadata on the exported graph's weights


def _dtype(name: str) -> np.dtype:
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
            dtype = _dtype(SAFETENSORS_DTYPES[entry["dtype"]])
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


def _read_torch_checkpoint(path: Path) -> tuple[dict[str, np.ndarray], list[str]]:
    """A state_dict read by torch.load(weights_only=True) in a subprocess (torch stays out of porter: it
    and mindspore cannot share a process). Returns the tensors and notes on what was left out."""
    with tempfile.TemporaryDirectory(prefix="porter-weights-") as tmp:
        try:
            launcher.run(launcher.python_command("porter.weights", "dump", path, tmp), "torch.load", timeout=3600)
        except launcher.HelperFailed as exc:
            raise InvalidModel(f"{path}: cannot read the checkpoint ({exc.reason})") from None
        index = json.loads((Path(tmp) / "index.json").read_text())
        with np.load(Path(tmp) / "state.npz", allow_pickle=False) as data:
            state = {}
            for i, (name, dtype) in enumerate(index["tensors"]):
                array = data[f"t{i}"]
                state[name] = array.view(_dtype(dtype)) if dtype == "bfloat16" else array  # stored as uint16
        return state, index["notes"]


def _load(path) -> tuple[dict[str, np.ndarray], list[str]]:
    path = Path(path)
    if not path.is_file():
        raise InvalidModel(f"{path}: no such file")
    if path.suffix == ".safetensors":
        return read_safetensors(path), []
    if path.suffix in _TORCH_SUFFIXES:
        return _read_torch_checkpoint(path)
    raise PorterError(f"{path}: a checkpoint is a .safetensors or a state_dict .pt/.pth/.bin")


def load_checkpoint(path) -> dict[str, np.ndarray]:
    """The tensors of a .safetensors or state_dict .pt/.pth/.bin checkpoint, by state_dict key."""
    return _load(path)[0]


def conversion_weights(out_dir: Path, target: str) -> dict[str, np.ndarray]:
    path = out_dir / ("model.npz" if target == "paddle" else "model.ckpt")
    if not path.is_file():
        raise PorterError(f"{path}: the conversion's weights are missing (the reference shapes come from them)")
    if target == "paddle":
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    from porter.op_maps.mindspore._checkpoint import read_checkpoint

    try:
        return read_checkpoint(str(path))
    except ValueError as exc:
        raise PorterError(f"{path}: unreadable ({exc})") from None


def _export_kinds(out_dir: Path) -> tuple[set[str], set[str]] | None:
    """(state_dict names, other initializers) of OUT/source.onnx, which PyTorch conversions keep, by
    torch.export's metadata; None where there is none (an ONNX source, or an exporter without it)."""
    path = out_dir / "source.onnx"
    if not path.is_file():
        return None
    import onnx

    from porter.torch_graph import linear_weights  # the rule porter named torch.onnx's renamed Linear weights by

    graph = onnx.load(str(path), load_external_data=False).graph
    stored, marked = set(linear_weights(graph).values()), False
    for value in [*graph.input, *graph.value_info]:
        meta = {p.key.removeprefix(_SPEC): p.value for p in value.metadata_props}
        marked |= "kind" in meta
        # non-persistent buffers are not in a state_dict: they come from the conversion like constants
        if meta.get("kind") == "PARAMETER" or (meta.get("kind") == "BUFFER" and meta.get("persistent") == "True"):
            stored.add(value.name)
    others = {i.name for i in graph.initializer} - stored
    return (stored, others) if marked else None


def convert_checkpoint(checkpoint, report_path, out_path, *, force: bool = False, allow_unused: bool = False) -> dict:
    """Write the target weights for `checkpoint` by the map in report_path; returns a summary:
    {"mapped": n, "kept_from_conversion": [target names], "unused": [checkpoint keys], "cast": [...],
    "notes": [...], "written": path}."""
    report_path, out_path = Path(report_path), Path(out_path)
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
    if out_path.exists() and not force:
        raise OutputExists(f"{out_path}: exists (use --force to replace it)")
    reference = conversion_weights(report_path.parent, target)
    # without source.onnx's metadata nothing tells a parameter from a constant the exporter named
    stored, others = _export_kinds(report_path.parent) or (set(), set())
    source, notes = _load(checkpoint)
    state, mapped, kept, cast, missing = {}, 0, [], [], []
    for row in rows:
        name, key, transform = row["target"], row["source"], row.get("transform")
        if name not in reference:
            raise PorterError(f"{report_path}: parameter {name!r} is not in the conversion's weights")
        if transform not in (None, "transpose"):
            raise PorterError(f"{report_path}: unknown transform {transform!r} for {name!r}")
        if key in others and key in source:
            raise PorterError(
                f"{checkpoint}: {key!r} (parameter {name!r}) was rewritten by the exporter (another layer, "
                "such as a BatchNorm, folded into it); convert from this checkpoint instead"
            )
        if key not in source:
            if key in stored:
                missing.append(f"{key!r} (for parameter {name!r})")
                continue
            state[name] = reference[name]  # made by porter or the exporter (folded constants, buffers)
            kept.append(name)
            continue
        array, want = np.asarray(source[key]), reference[name]
        if transform == "transpose":
            array = array.T  # as the op maps did (2-D Linear/Gemm weights)
        if array.shape != want.shape:
            raise PorterError(
                f"{checkpoint}: {key!r} has shape {list(array.shape)}, the conversion's parameter {name!r} has "
                f"{list(want.shape)} (a different architecture or config?)"
            )
        if array.dtype != want.dtype:
            # a bf16/fp16 checkpoint of an fp32 conversion is cast; a float for an integer (or back) is wrong
            if array.dtype.kind not in "fV" or want.dtype.kind != "f":
                raise PorterError(
                    f"{checkpoint}: {key!r} is {array.dtype}, the conversion's parameter {name!r} is {want.dtype}"
                )
            cast.append(f"{key}: {array.dtype} -> {want.dtype}")
        state[name] = np.ascontiguousarray(array.astype(want.dtype))
        mapped += 1
    used = {row["source"] for row in rows}
    unused = sorted(k for k in source if k not in used)
    unused_floats = [k for k in unused if np.asarray(source[k]).dtype.kind in "fV"]  # V: bfloat16
    if mapped == 0:  # often a prefix ("module." from DistributedDataParallel): show one name of each side
        first = f" (the map's first source is {rows[0]['source']!r}, " if rows else " ("
        raise PorterError(
            f"{checkpoint}: no tensor of the checkpoint matches the map{first}its first key {next(iter(source), None)!r})"
        )
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise PorterError(f"{checkpoint}: has no {shown}, which the map needs (a different architecture?)")
    if unused_floats and not allow_unused:
        shown = ", ".join(unused_floats[:5]) + (" ..." if len(unused_floats) > 5 else "")
        raise PorterError(
            f"{checkpoint}: {len(unused_floats)} float tensor(s) the map does not place ({shown}); the exporter may "
            "have merged or folded them. Convert from this checkpoint instead, or pass --allow-unused."
        )
    _write(state, out_path)
    return {"mapped": mapped, "kept_from_conversion": kept, "unused": unused, "cast": cast, "notes": notes,
            "written": str(out_path)}  # fmt: skip


def _write(state: dict[str, np.ndarray], out_path: Path) -> None:
    """Atomically (porter.output.atomic_file): a temporary beside the output, then a rename."""
    with atomic_file(out_path) as tmp:
        if out_path.suffix == ".npz":
            # our own file object: zipfile then never owns (and, at exit, re-flushes) a file a full disk broke
            with open(tmp, "wb") as f:
                np.savez(f, **state)
        elif out_path.suffix == ".ckpt":
            from porter.op_maps.mindspore._checkpoint import write_checkpoint

            write_checkpoint(state, str(tmp))
        else:  # .pdparams: Paddle's own (pickle) format, written by paddle in its own process
            with tempfile.TemporaryDirectory(prefix="porter-weights-") as folder:
                np.savez(Path(folder) / "state.npz", **state)
                code = (
                    "import sys, numpy as np, paddle\n"
                    "d = np.load(sys.argv[1], allow_pickle=False)\n"
                    "paddle.save({k: paddle.to_tensor(d[k]) for k in d.files}, sys.argv[2])\n"
                )
                argv = launcher.python_command(None, Path(folder) / "state.npz", tmp, code=code)
                try:
                    launcher.run(argv, "paddle.save", timeout=3600)
                except launcher.HelperFailed as exc:
                    raise PorterError(f"{out_path}: paddle.save failed ({exc.reason})") from None


@click.command("weights")
@click.argument("checkpoint", type=click.Path(path_type=Path))
@click.option("--map", "report_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="OUT/report.json of a conversion of this architecture (its model.npz/.ckpt must be beside it).")  # fmt: skip
@click.option("-o", "--out", "out_path", type=click.Path(path_type=Path), required=True,
              help="The target weights: .npz (what porter's Paddle model.py loads) or .pdparams; .ckpt for MindSpore.")  # fmt: skip
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
@click.option("--allow-unused", is_flag=True, help="Accept float checkpoint tensors the map does not place.")
def weights_command(checkpoint, report_path, out_path, force, allow_unused):
    """Convert another checkpoint of a converted architecture (a fine-tune) with OUT/report.json's map.

    \b
    CHECKPOINT: a state_dict .pt/.pth/.bin (torch.load weights_only=True, in
    its own process; a dict holding it under "state_dict" or "model" too) or
    a .safetensors. Each tensor is placed by the map (transposed where the
    conversion transposed it) and checked against the conversion's shape;
    constants porter or the exporter made are copied from the conversion.
    Errors, since the result would be wrong: a parameter the checkpoint
    lacks, a tensor the exporter rewrote (a BatchNorm folded into a conv),
    a float tensor the map cannot place (unless --allow-unused).
    The file is written atomically. To run it, copy OUT's model.py and
    report.json beside it as model.npz / model.ckpt and porter.load() that.

    \b
    Example:
      porter weights finetuned.safetensors --map out/report.json -o tuned/model.npz
    """
    summary = convert_checkpoint(checkpoint, report_path, out_path, force=force, allow_unused=allow_unused)
    click.echo(
        f"wrote {summary['written']}: {summary['mapped']} tensors from the checkpoint, "
        f"{len(summary['kept_from_conversion'])} kept from the conversion, {len(summary['unused'])} unused"
    )
    casts: dict[str, int] = {}
    for line in summary["cast"]:
        kind = line.rsplit(": ", 1)[1]
        casts[kind] = casts.get(kind, 0) + 1
    lines = [f"cast {n} tensor(s) {kind}" for kind, n in casts.items()] + summary["notes"]
    unused = summary["unused"]
    if unused:
        lines.append("unused: " + ", ".join(unused[:10]) + (f" (+{len(unused) - 10} more)" if len(unused) > 10 else ""))
    for line in lines:
        click.echo(f"  {line}")


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
