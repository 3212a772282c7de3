"""Read an ONNX model from a path, bytes or a ModelProto, check it, and infer shapes.

External data is resolved only inside the model's own directory: a location that is absolute,
climbs out with `..`, or is a symlink leading elsewhere is refused before any byte is read.
"""

from __future__ import annotations

import os
from pathlib import Path

import onnx
import onnx.checker
import onnx.shape_inference

from porter.errors import InvalidModel

SourceLike = str | os.PathLike | bytes | onnx.ModelProto


def _check_external_locations(model: onnx.ModelProto, base_dir: Path, path: Path) -> None:
    base = base_dir.resolve()
    for tensor in _all_tensors(model):
        if tensor.data_location != onnx.TensorProto.EXTERNAL:
            continue
        entries = {e.key: e.value for e in tensor.external_data}
        location = entries.get("location", "")
        target = (base / location).resolve()
        if os.path.isabs(location) or not target.is_relative_to(base):
            raise InvalidModel(
                f"{path}: tensor {tensor.name!r} points at external data {location!r} outside the model's directory"
            )
        if not target.is_file():
            raise InvalidModel(f"{path}: external data file {location!r} for tensor {tensor.name!r} is missing")


def _all_tensors(model: onnx.ModelProto):
    def from_graph(graph):
        yield from graph.initializer
        for node in graph.node:
            for attr in node.attribute:
                if attr.HasField("t"):
                    yield attr.t
                yield from attr.tensors
                if attr.HasField("g"):
                    yield from from_graph(attr.g)
                for sub in attr.graphs:
                    yield from from_graph(sub)

    yield from from_graph(model.graph)


def load_onnx(source: SourceLike) -> onnx.ModelProto:
    """Return a checked, shape-inferred ModelProto. Raises InvalidModel with the reason."""
    if isinstance(source, onnx.ModelProto):
        model = onnx.ModelProto()
        model.CopyFrom(source)
        label = "<ModelProto>"
    elif isinstance(source, bytes | bytearray):
        model = _parse(bytes(source), "<bytes>")
        label = "<bytes>"
    else:
        path = Path(os.fspath(source))
        label = str(path)
        if not path.exists():
            raise InvalidModel(f"{path}: no such file")
        if path.is_dir():
            raise InvalidModel(f"{path}: is a directory, expected an .onnx file")
        data = path.read_bytes()
        if not data:
            raise InvalidModel(f"{path}: file is empty")
        model = _parse(data, label)
        _check_external_locations(model, path.parent, path)
        try:
            onnx.external_data_helper.load_external_data_for_model(model, str(path.parent))
        except (OSError, ValueError) as exc:
            raise InvalidModel(f"{path}: cannot read external data: {exc}") from None
    if not model.graph.node and not model.graph.output:
        raise InvalidModel(f"{label}: not an ONNX model (empty graph)")
    _check_opsets(model, label)
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else "validation failed"
        raise InvalidModel(f"{label}: invalid ONNX model: {first_line}") from None
    try:
        model = onnx.shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
    except Exception as exc:  # onnx raises several unrelated types here
        raise InvalidModel(f"{label}: shape inference failed: {str(exc).splitlines()[0]}") from None
    return model


def _parse(data: bytes, label: str) -> onnx.ModelProto:
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except Exception:  # protobuf's DecodeError and friends
        raise InvalidModel(f"{label}: not an ONNX model (protobuf could not be parsed)") from None
    if not model.HasField("graph"):
        raise InvalidModel(f"{label}: not an ONNX model (no graph)")
    return model


def _check_opsets(model: onnx.ModelProto, label: str) -> None:
    newest = onnx.defs.onnx_opset_version()
    for imp in model.opset_import:
        if imp.domain in ("", "ai.onnx") and imp.version > newest:
            raise InvalidModel(f"{label}: opset {imp.version} is newer than the installed onnx knows (newest {newest})")
        if imp.domain in ("", "ai.onnx") and imp.version < 1:
            raise InvalidModel(f"{label}: invalid opset version {imp.version}")
