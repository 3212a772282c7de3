"""Read an ONNX model from a path, bytes or a ModelProto, check it, and infer shapes.

External data is resolved only inside the model's own directory: a location that is absolute,
climbs out with `..`, holds a NUL byte, is a hard link, or is a symlink leading elsewhere is refused
before any byte is read. A Hugging Face hub cache's snapshot symlinks into ../../blobs of the same
cached repository count as inside.
"""

from __future__ import annotations

import os
from pathlib import Path

import onnx
import onnx.checker
import onnx.shape_inference

from porter.errors import InvalidModel

SourceLike = str | os.PathLike | bytes | onnx.ModelProto


def _declared_bytes(tensor: onnx.TensorProto) -> int:
    """Bytes the tensor's dims and dtype promise (sub-byte and string types count one byte each)."""
    count = 1
    for d in tensor.dims:
        count *= max(int(d), 0)
    try:
        itemsize = onnx.helper.tensor_dtype_to_np_dtype(tensor.data_type).itemsize
    except (KeyError, ValueError, TypeError):
        itemsize = 1
    return count * itemsize


def _hub_blobs(base: Path) -> Path | None:
    """The blobs folder of a Hugging Face hub cache repository, when base is one of its snapshots.

    The hub cache keeps each file once, in models--ORG--NAME/blobs/, and a snapshot
    (models--ORG--NAME/snapshots/REVISION/) holds symlinks into ../../blobs: those stay inside
    the same cached repository, so they count as inside the model's directory.
    """
    repo = base.parent.parent
    if base.parent.name == "snapshots" and repo.name.split("--")[0] in ("models", "datasets", "spaces"):
        return repo / "blobs"
    return None


def _check_external_locations(model: onnx.ModelProto, base_dir: Path, path: Path) -> None:
    base = base_dir.resolve()
    blobs = _hub_blobs(base)
    roots = [base] + ([blobs.resolve()] if blobs is not None and blobs.is_dir() else [])
    for tensor in _all_tensors(model):
        if tensor.data_location != onnx.TensorProto.EXTERNAL:
            continue
        entries = {e.key: e.value for e in tensor.external_data}
        location = entries.get("location", "")
        if isinstance(location, bytes) or "\x00" in location:
            raise InvalidModel(f"{path}: tensor {tensor.name!r}: its external data location is not a valid file name")
        outside = InvalidModel(
            f"{path}: tensor {tensor.name!r} points at external data {location!r} outside the model's directory"
        )
        # the name itself must stay in the folder (no absolute path, no climbing out with ..); where it
        # then leads (symlinks) must be the folder too, or the hub cache's blobs of the same repository
        if not location or os.path.isabs(location) or not Path(os.path.normpath(base / location)).is_relative_to(base):
            raise outside
        target = (base / location).resolve()
        root = next((r for r in roots if target.is_relative_to(r)), None)
        if root is None:
            raise outside
        if not target.is_file():
            raise InvalidModel(f"{path}: external data file {location!r} for tensor {tensor.name!r} is missing")
        if target.stat().st_nlink > 1:  # a hard link can name any file of the same file system
            raise InvalidModel(
                f"{path}: external data file {location!r} for tensor {tensor.name!r} has several hard links; "
                "porter reads only files it can tell are inside the model's directory (copy it)"
            )
        try:
            offset = int(entries.get("offset", 0))
            length = int(entries["length"]) if "length" in entries else None
        except ValueError:
            raise InvalidModel(
                f"{path}: tensor {tensor.name!r} has a non-numeric external data offset/length"
            ) from None
        needed = length if length is not None else _declared_bytes(tensor)
        available = target.stat().st_size - offset
        if needed > available or _declared_bytes(tensor) > available:
            raise InvalidModel(
                f"{path}: external data {location!r} for tensor {tensor.name!r} is shorter than declared "
                f"({max(needed, _declared_bytes(tensor))} bytes needed at offset {offset}, {max(available, 0)} there)"
            )
        if root != base:
            # a hub snapshot's symlink, checked above: onnx's reader refuses every symlink, so read the
            # blob it leads to directly, from the blobs folder
            for entry in tensor.external_data:
                if entry.key == "location":
                    entry.value = target.relative_to(root).as_posix()
            onnx.external_data_helper.load_external_data_for_tensor(tensor, str(root))


def _check_memory(model: onnx.ModelProto, label: str) -> None:
    """Refuse, before anything is allocated, a model whose declared tensors exceed this machine's memory."""
    total = sum(_declared_bytes(t) for t in _all_tensors(model))
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return
    if total > physical:
        raise InvalidModel(
            f"{label}: the model declares {total / 2**30:.1f} GiB of tensors, more than this machine's "
            f"{physical / 2**30:.1f} GiB of memory"
        )


def _check_text(model: onnx.ModelProto, label: str) -> None:
    """Protobuf hands back invalid UTF-8 in string fields as bytes; refuse such a file up front."""

    def bad(value) -> bool:
        return isinstance(value, bytes)

    def walk(graph: onnx.GraphProto, where: str) -> None:
        if bad(graph.name):
            raise InvalidModel(f"{label}: the name of {where} is not valid UTF-8")
        for vi in list(graph.input) + list(graph.output) + list(graph.value_info):
            if bad(vi.name):
                raise InvalidModel(f"{label}: a value name in {where} is not valid UTF-8")
        for init in graph.initializer:
            if bad(init.name):
                raise InvalidModel(f"{label}: an initializer name in {where} is not valid UTF-8")
        for node in graph.node:
            fields = [node.name, node.op_type, node.domain, *node.input, *node.output]
            if any(bad(f) for f in fields) or any(bad(a.name) for a in node.attribute):
                raise InvalidModel(f"{label}: node {node.name!r} in {where} has text that is not valid UTF-8")
            for attr in node.attribute:
                for sub in [attr.g] if attr.HasField("g") else list(attr.graphs):
                    walk(sub, f"a subgraph of node {node.name!r}")

    for imp in model.opset_import:
        if bad(imp.domain):
            raise InvalidModel(f"{label}: an opset domain is not valid UTF-8")
    walk(model.graph, "the main graph")


def _check_structure(graph: onnx.GraphProto, label: str, outer: frozenset = frozenset()) -> None:
    """Name the node when an input is produced nowhere, produced later (a cycle), or produced twice."""
    available = set(outer) | {i.name for i in graph.input} | {i.name for i in graph.initializer}
    producers: dict[str, str] = {}
    for index, node in enumerate(graph.node):
        for out in node.output:
            if out and (out in producers or out in available):
                raise InvalidModel(f"{label}: value {out!r} is produced twice (by node {node.name or index!r})")
            if out:
                producers[out] = node.name or f"#{index}"
    seen = set(available)
    for index, node in enumerate(graph.node):
        name = node.name or f"#{index}"
        for inp in node.input:
            if inp and inp not in seen:
                if inp in producers:
                    raise InvalidModel(
                        f"{label}: node {name!r} reads {inp!r} before node {producers[inp]!r} produces it "
                        "(a cycle, or nodes out of order)"
                    )
                raise InvalidModel(
                    f"{label}: node {name!r} reads {inp!r}, which no input, initializer or node produces"
                )
        for attr in node.attribute:
            for sub in [attr.g] if attr.HasField("g") else list(attr.graphs):
                _check_structure(sub, label, frozenset(seen))
        seen.update(o for o in node.output if o)


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
        _check_memory(model, label)
    else:
        path = Path(os.fspath(source))
        label = str(path)
        if not path.exists():
            raise InvalidModel(f"{path}: no such file")
        if path.is_dir():
            raise InvalidModel(f"{path}: is a directory, expected an .onnx file")
        if path.suffix == ".py":  # a PyTorch factory spec without its ":factory" part
            raise InvalidModel(
                f"{path}: a Python file, not an ONNX model; name the function in it that returns "
                f"(module, example_inputs): {path}:FUNCTION"
            )
        data = path.read_bytes()
        if not data:
            raise InvalidModel(f"{path}: file is empty")
        model = _parse(data, label)
        _check_memory(model, label)
        _check_external_locations(model, path.parent, path)
        try:
            onnx.external_data_helper.load_external_data_for_model(model, str(path.parent))
        except (OSError, ValueError, onnx.checker.ValidationError) as exc:
            raise InvalidModel(f"{path}: cannot read external data: {exc}") from None
    if not model.graph.node and not model.graph.output:
        raise InvalidModel(f"{label}: not an ONNX model (empty graph)")
    _check_text(model, label)
    _check_opsets(model, label)
    _check_structure(model.graph, label)
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as exc:
        text = " ".join(str(exc).split())[:400] or "validation failed"
        raise InvalidModel(f"{label}: invalid ONNX model: {text}") from None
    return _infer_shapes(model, label)


# Strict shape inference errors that mean the file contradicts itself (not that onnx cannot infer).
_CONTRADICTIONS = ("Inferred shape and existing shape differ", "Inferred elem type differs", "type mismatch")


def _infer_shapes(model: onnx.ModelProto, label: str) -> onnx.ModelProto:
    try:
        return onnx.shape_inference.infer_shapes(model, strict_mode=True, data_prop=True)
    except Exception as exc:  # onnx raises several unrelated types here
        text = " ".join(str(exc).split())
        if any(marker in text for marker in _CONTRADICTIONS):
            raise InvalidModel(f"{label}: declared and inferred shapes/types disagree: {text[:400]}") from None
    try:  # strict inference failed for a reason that is not a contradiction: keep what can be inferred
        return onnx.shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
    except Exception as exc:
        raise InvalidModel(f"{label}: shape inference failed: {' '.join(str(exc).split())[:400]}") from None


def _parse(data: bytes, label: str) -> onnx.ModelProto:
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except Exception as exc:  # protobuf's DecodeError and friends
        if "MaxDepth" in str(exc) or isinstance(exc, RecursionError):  # upb's limit: 100 nested messages
            raise InvalidModel(
                f"{label}: subgraphs (If/Loop/Scan bodies) are nested deeper than protobuf can parse "
                "(100 message levels, about 30 nested subgraphs)"
            ) from None
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
