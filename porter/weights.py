"""`porter weights`: convert further PyTorch checkpoints of a converted architecture, without re-exporting.

report.json's "parameters" map each target parameter to its source parameter (a state_dict key for
PyTorch sources) and the transform between them. Given a checkpoint of the same architecture (a
state_dict `.pt`/`.pth`/`.bin`, read by torch.load(weights_only=True) in its own process, or a
`.safetensors`, read here with numpy), this writes the target's weights file: every mapped tensor taken
from the checkpoint, checked against the conversion's shape and dtype, and the rest (constants porter
or the exporter made) copied from the conversion.

A checkpoint tensor the map does not use is an error unless --allow-unused: the exporter merges
identical tensors and folds constants, so an unused key can be a weight this map cannot place (convert
from that checkpoint instead), and silently dropping it would give wrong answers.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import click
import numpy as np

from porter.errors import InvalidModel, PorterError

_SAFETENSORS_DTYPES = {
    "F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16", "I64": "int64", "I32": "int32",
    "I16": "int16", "I8": "int8", "U8": "uint8", "BOOL": "bool",
}  # fmt: skip
_TORCH_SUFFIXES = (".pt", ".pth", ".bin")
_OUTPUTS = {"paddle": (".npz", ".pdparams"), "mindspore": (".ckpt",)}
_HEADER_LIMIT = 100 * 1024 * 1024


def _dtype(name: str) -> np.dtype:
    if name == "bfloat16":
        import ml_dtypes

        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(name)


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """A .safetensors file as numpy arrays: 8-byte little-endian header size, JSON header, raw data."""
    data = path.read_bytes()
    if len(data) < 8:
        raise InvalidModel(f"{path}: too short to be a safetensors file")
    (size,) = struct.unpack("<Q", data[:8])
    if size > min(_HEADER_LIMIT, len(data) - 8):
        raise InvalidModel(f"{path}: safetensors header size {size} is larger than the file")
    try:
        header = json.loads(data[8 : 8 + size].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InvalidModel(f"{path}: the safetensors header is not JSON") from None
    body = memoryview(data)[8 + size :]
    state = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        try:
            dtype = _dtype(_SAFETENSORS_DTYPES[entry["dtype"]])
            shape = [int(d) for d in entry["shape"]]
            begin, end = (int(o) for o in entry["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise InvalidModel(f"{path}: tensor {name!r}: malformed header entry {entry!r}") from None
        if not 0 <= begin <= end <= len(body) or end - begin != int(np.prod(shape)) * dtype.itemsize:
            raise InvalidModel(f"{path}: tensor {name!r}: data offsets {begin}..{end} do not fit its shape/dtype")
        state[name] = np.frombuffer(body[begin:end], dtype=dtype).reshape(shape).copy()
    return state


def read_torch_checkpoint(path: Path) -> dict[str, np.ndarray]:
    """A state_dict read by torch.load(weights_only=True) in a subprocess (torch stays out of porter)."""
    with tempfile.TemporaryDirectory(prefix="porter-weights-") as tmp:
        out = Path(tmp) / "state.npz"
        proc = subprocess.run(
            [sys.executable, "-m", "porter.weights", str(path), str(out)], capture_output=True, text=True, timeout=600
        )
        if proc.returncode != 0:
            lines = (proc.stderr or proc.stdout).strip().splitlines()
            raise InvalidModel(f"{path}: cannot read the checkpoint ({lines[-1] if lines else proc.returncode})")
        with np.load(out, allow_pickle=False) as data:
            names = json.loads((Path(tmp) / "names.json").read_text())
            return {name: data[f"t{i}"] for i, name in enumerate(names)}


def load_checkpoint(path) -> dict[str, np.ndarray]:
    path = Path(path)
    if not path.is_file():
        raise InvalidModel(f"{path}: no such file")
    if path.suffix == ".safetensors":
        return read_safetensors(path)
    if path.suffix in _TORCH_SUFFIXES:
        return read_torch_checkpoint(path)
    raise PorterError(f"{path}: a checkpoint is a .safetensors or a state_dict .pt/.pth/.bin")


def _conversion_weights(out_dir: Path, target: str) -> dict[str, np.ndarray]:
    if target == "paddle":
        with np.load(out_dir / "model.npz", allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    from porter.op_maps.mindspore._checkpoint import read_checkpoint

    return read_checkpoint(str(out_dir / "model.ckpt"))


def convert_checkpoint(checkpoint, report_path, out_path, *, force: bool = False, allow_unused: bool = False) -> dict:
    """Write the target weights for `checkpoint` by the map in report_path; returns a summary."""
    report_path, out_path = Path(report_path), Path(out_path)
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
        target, rows = report["target"], report["parameters"]
    except (OSError, ValueError, KeyError):
        raise PorterError(f"{report_path}: not a porter report.json") from None
    if out_path.suffix not in _OUTPUTS[target]:
        raise PorterError(f"{out_path}: {target} weights are written as {' or '.join(_OUTPUTS[target])}")
    if out_path.exists() and not force:
        raise PorterError(f"{out_path} exists; pass --force to replace it")
    reference = _conversion_weights(report_path.parent, target)
    source = load_checkpoint(checkpoint)
    state, mapped, kept = {}, 0, []
    for row in rows:
        name, key = row["target"], row["source"]
        if name not in reference:
            raise PorterError(f"{report_path}: parameter {name!r} is not in the conversion's weights")
        if key not in source:
            state[name] = reference[name]  # made by porter or the exporter (folded constants, buffers)
            kept.append(name)
            continue
        array = np.asarray(source[key])
        if row.get("transform") == "transpose":
            array = array.T
        elif row.get("transform"):
            raise PorterError(f"{report_path}: unknown transform {row['transform']!r} for {name!r}")
        want = reference[name]
        if array.shape != want.shape:
            raise PorterError(
                f"{checkpoint}: {key!r} has shape {list(array.shape)}, the conversion's {name!r} has "
                f"{list(want.shape)} (a different architecture or config?)"
            )
        state[name] = np.ascontiguousarray(array.astype(want.dtype))
        mapped += 1
    used = {row["source"] for row in rows}
    unused = sorted(k for k, v in source.items() if k not in used and np.asarray(v).dtype.kind == "f")
    if unused and not allow_unused:
        shown = ", ".join(unused[:5]) + (" ..." if len(unused) > 5 else "")
        raise PorterError(
            f"{checkpoint}: {len(unused)} float tensor(s) the map does not place ({shown}); the exporter may "
            "have merged or folded them. Convert from this checkpoint instead, or pass --allow-unused."
        )
    if mapped == 0:
        raise PorterError(f"{checkpoint}: no tensor of the checkpoint matches the map (another architecture?)")
    _write(state, out_path, target)
    return {"mapped": mapped, "kept_from_conversion": kept, "unused": unused, "written": str(out_path)}


def _write(state: dict[str, np.ndarray], out_path: Path, target: str) -> None:
    """Atomically: a temporary beside the output, then rename."""
    tmp = out_path.with_name(f".{out_path.name}.tmp-{os.getpid()}{out_path.suffix}")
    try:
        if out_path.suffix == ".npz":
            np.savez(tmp, **state)
        elif out_path.suffix == ".ckpt":
            from porter.op_maps.mindspore._checkpoint import write_checkpoint

            write_checkpoint(state, str(tmp))
        else:  # .pdparams: Paddle's own format, written by paddle in its own process
            with tempfile.TemporaryDirectory(prefix="porter-weights-") as folder:
                np.savez(Path(folder) / "state.npz", **state)
                code = (
                    "import sys, numpy as np, paddle\n"
                    "d = np.load(sys.argv[1], allow_pickle=False)\n"
                    "paddle.save({k: paddle.to_tensor(d[k]) for k in d.files}, sys.argv[2])\n"
                )
                subprocess.run([sys.executable, "-c", code, str(Path(folder) / "state.npz"), str(tmp)], check=True, capture_output=True, timeout=600)  # fmt: skip
        os.replace(tmp, out_path)
    finally:
        tmp.unlink(missing_ok=True)


@click.command("weights")
@click.argument("checkpoint", type=click.Path(path_type=Path))
@click.option("--map", "report_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="OUT/report.json of a conversion of this architecture.")  # fmt: skip
@click.option("-o", "--out", "out_path", type=click.Path(path_type=Path), required=True,
              help="The target weights: .npz (what porter's Paddle model.py loads) or .pdparams; .ckpt for MindSpore.")  # fmt: skip
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
@click.option("--allow-unused", is_flag=True, help="Accept checkpoint tensors the map does not place.")
def weights_command(checkpoint, report_path, out_path, force, allow_unused):
    """Convert another checkpoint of a converted architecture (fine-tunes) with OUT/report.json's map.

    \b
    CHECKPOINT: a state_dict .pt/.pth/.bin (torch.load weights_only=True, in
    its own process) or a .safetensors. Shapes are checked against the
    conversion; the result is written atomically. Load it with
    porter.load(OUT_COPY) after placing it as model.npz / model.ckpt.
    """
    summary = convert_checkpoint(checkpoint, report_path, out_path, force=force, allow_unused=allow_unused)
    click.echo(
        f"wrote {summary['written']}: {summary['mapped']} tensors from the checkpoint, "
        f"{len(summary['kept_from_conversion'])} kept from the conversion, {len(summary['unused'])} unused"
    )


def _dump(argv: list[str]) -> int:
    """python -m porter.weights IN.pt OUT.npz: torch.load(weights_only=True) -> .npz + names.json."""
    import torch

    state = torch.load(argv[0], map_location="cpu", weights_only=True)
    for key in ("state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    if not isinstance(state, dict):
        print(f"not a state_dict: {type(state).__name__}", file=sys.stderr)
        return 2
    tensors = {k: v for k, v in state.items() if isinstance(v, torch.Tensor)}
    arrays = {}
    for i, t in enumerate(tensors.values()):
        t = t.detach().cpu()
        arrays[f"t{i}"] = t.float().numpy().astype(_dtype("bfloat16")) if t.dtype == torch.bfloat16 else t.numpy()
    np.savez(argv[1], **arrays)
    Path(argv[1]).with_name("names.json").write_text(json.dumps(list(tensors)))
    return 0


if __name__ == "__main__":
    sys.exit(_dump(sys.argv[1:]))
