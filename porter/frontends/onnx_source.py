"""Read an ONNX model from a path, bytes or a ModelProto, check it, and infer shapes.

External data is resolved only inside the model's own directory: a location that is absolute,
climbs out with `..`, holds a NUL byte, is a hard link, or is a symlink leading elsewhere is refused
before any byte is read. A Hugging Face hub cache's snapshot symlinks into ../../blobs of the same
cached repository count as inside.

The checker and shape inference see a weight-less copy of the model (weights cost them a full
serialization and give them nothing: a shape never depends on a weight's values). With `lazy=True`
(what conversion uses) weights are not read at all: external data stays in its files, inline weights
of a model file are described as external data of that file itself, and `tensor_array` maps them
from disk one tensor at a time.
"""

from __future__ import annotations

import mmap
import os
import sys
from pathlib import Path

import numpy as np
import onnx
import onnx.checker
import onnx.shape_inference

from porter.errors import InvalidModel
from porter.frontends.onnx_functions import FunctionError, inline_functions
from porter.protowire import fields as wire_fields
from porter.protowire import length_field, varint_field

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


def _check_external_locations(model: onnx.ModelProto, base_dir: Path, path: Path, lazy: bool = False) -> None:
    """Refuse external data outside the model's directory; with lazy, point each checked location at its
    absolute path (what tensor_array reads), else load hub-blob data here (onnx's reader refuses symlinks)."""
    base = base_dir.resolve()
    own = str(path.resolve())
    blobs = _hub_blobs(base)
    roots = [base] + ([blobs.resolve()] if blobs is not None and blobs.is_dir() else [])
    for tensor in _all_tensors(model):
        if tensor.data_location != onnx.TensorProto.EXTERNAL:
            continue
        entries = {e.key: e.value for e in tensor.external_data}
        location = entries.get("location", "")
        if isinstance(location, bytes) or "\x00" in location:
            raise InvalidModel(f"{path}: tensor {tensor.name!r}: its external data location is not a valid file name")
        if lazy and location == own:  # a weight inside the model file itself (_inline_weights_as_external)
            _check_span(tensor, Path(own), path, location)
            continue
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
        _check_span(tensor, target, path, location)
        if lazy:
            _set_location(tensor, str(target))
        elif root != base:
            # a hub snapshot's symlink, checked above: onnx's reader refuses every symlink, so read the
            # blob it leads to directly, from the blobs folder
            for entry in tensor.external_data:
                if entry.key == "location":
                    entry.value = target.relative_to(root).as_posix()
            onnx.external_data_helper.load_external_data_for_tensor(tensor, str(root))


def _check_span(tensor: onnx.TensorProto, target: Path, path: Path, location: str) -> None:
    entries = {e.key: e.value for e in tensor.external_data}
    try:
        offset = int(entries.get("offset", 0))
        length = int(entries["length"]) if "length" in entries else None
    except ValueError:
        raise InvalidModel(f"{path}: tensor {tensor.name!r} has a non-numeric external data offset/length") from None
    needed = length if length is not None else _declared_bytes(tensor)
    available = target.stat().st_size - offset
    if (
        needed > available
        or _declared_bytes(tensor) > available
        or (length is not None and length < _declared_bytes(tensor))
    ):
        raise InvalidModel(
            f"{path}: external data {location!r} for tensor {tensor.name!r} is shorter than declared "
            f"({max(needed, _declared_bytes(tensor))} bytes needed at offset {offset}, {max(available, 0)} there)"
        )


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


def load_onnx(source: SourceLike, *, lazy: bool = False) -> onnx.ModelProto:
    """Return a checked, shape-inferred ModelProto. Raises InvalidModel with the reason.

    lazy: leave the weights of a model file on disk (see the module's docstring); read them with
    tensor_array. Otherwise the returned model holds every weight, as onnx.load would.
    """
    if isinstance(source, onnx.ModelProto):
        model = onnx.ModelProto()
        model.CopyFrom(source)
        label = "<ModelProto>"
        _refuse_external(model, label)
    elif isinstance(source, bytes | bytearray):
        model = _parse(bytes(source), "<bytes>")
        label = "<bytes>"
        _check_memory(model, label)
        _refuse_external(model, label)
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
        model = read_model(path, label, lazy)
        _check_memory(model, label)
        _check_external_locations(model, path.parent, path, lazy=lazy)
        if lazy:
            _load_small_external(model)
        else:
            try:
                onnx.external_data_helper.load_external_data_for_model(model, str(path.parent))
            except (OSError, ValueError, onnx.checker.ValidationError) as exc:
                raise InvalidModel(f"{path}: cannot read external data: {exc}") from None
    if not model.graph.node and not model.graph.output:
        raise InvalidModel(f"{label}: not an ONNX model (empty graph)")
    _check_text(model, label)
    _check_opsets(model, label)
    _check_structure(model.graph, label)
    _check_weight_data(model, label)
    skeleton = _weightless(model)
    try:
        onnx.checker.check_model(skeleton)
    except onnx.checker.ValidationError as exc:
        text = " ".join(str(exc).split())[:400] or "validation failed"
        raise InvalidModel(f"{label}: invalid ONNX model: {text}") from None
    try:
        if inline_functions(model):  # a model's own functions: one module of the port per call
            skeleton = _weightless(model)
    except FunctionError as exc:
        raise InvalidModel(f"{label}: {exc}") from None
    _copy_inferred(_infer_shapes(skeleton, label).graph, model.graph)
    return model


# Initializers with more elements than this are left out of the weight-less copy that the checker and
# shape inference see (as graph inputs of the same type and shape): a shape never depends on their
# values (shape operands are a handful of int64s), and serializing them cost as much as the conversion.
WEIGHTLESS_LIMIT = 1024
# A lazy model file's inline weights of at least this many bytes are read from the file when needed; a
# file smaller than LAZY_FILE_BYTES is parsed whole (finding its weights costs more than copying them).
LAZY_INLINE_BYTES = 4096
LAZY_FILE_BYTES = 32 << 20

_VALUE_FIELDS = ("float_data", "int32_data", "string_data", "int64_data", "double_data", "uint64_data")
_PACKED_TYPES = {
    getattr(onnx.TensorProto, name)
    for name in ("INT4", "UINT4", "FLOAT4E2M1", "INT2", "UINT2")
    if hasattr(onnx.TensorProto, name)
}


def _elements(tensor: onnx.TensorProto) -> int:
    count = 1
    for d in tensor.dims:
        count *= max(int(d), 0)
    return count


def _is_external(tensor: onnx.TensorProto) -> bool:
    return tensor.data_location == onnx.TensorProto.EXTERNAL


def _weightless(model: onnx.ModelProto) -> onnx.ModelProto:
    """A copy of the model without its large initializers (declared as graph inputs instead)."""
    skeleton = onnx.ModelProto()
    _copy_fields(skeleton, model, skip="graph")
    graph = skeleton.graph
    _copy_fields(graph, model.graph, skip="initializer")
    declared = {vi.name for vi in model.graph.input}
    for tensor in model.graph.initializer:
        if not _is_external(tensor) and _elements(tensor) <= WEIGHTLESS_LIMIT:
            graph.initializer.append(tensor)
        elif tensor.name not in declared:  # an IR < 4 model already lists its initializers as inputs
            graph.input.append(onnx.helper.make_tensor_value_info(tensor.name, tensor.data_type, list(tensor.dims)))
    return skeleton


def _copy_fields(dst, src, skip: str) -> None:
    for descriptor, value in src.ListFields():
        if descriptor.name == skip:
            continue
        target = getattr(dst, descriptor.name)
        if hasattr(target, "extend"):
            target.extend(value)
        elif hasattr(target, "CopyFrom"):
            target.CopyFrom(value)
        else:
            setattr(dst, descriptor.name, value)


def _copy_inferred(inferred: onnx.GraphProto, graph: onnx.GraphProto, body: bool = False) -> None:
    """Move what shape inference learned on the weight-less copy into the model (same nodes, same order).
    A control-flow body's inputs come too: inference types them from the node's inputs (a Scan body's
    untyped q_t is its scan input's element type), which lowering needs (CastLike to that type)."""
    del graph.value_info[:]
    graph.value_info.extend(inferred.value_info)
    del graph.output[:]
    graph.output.extend(inferred.output)
    if body and [vi.name for vi in inferred.input] == [vi.name for vi in graph.input]:
        del graph.input[:]
        graph.input.extend(inferred.input)
    for node, inferred_node in zip(graph.node, inferred.node):
        for attr, inferred_attr in zip(node.attribute, inferred_node.attribute):
            if attr.HasField("g"):
                _copy_inferred(inferred_attr.g, attr.g, body=True)
            for sub, inferred_sub in zip(attr.graphs, inferred_attr.graphs):
                _copy_inferred(inferred_sub, sub, body=True)


def _check_weight_data(model: onnx.ModelProto, label: str) -> None:
    """What the checker would have said about the initializers it no longer sees: their values are in
    exactly one field. (A raw_data shorter than declared is refused when it is read, by tensor_array:
    measuring it here would copy it; external data was measured against its file.)"""
    for tensor in model.graph.initializer:
        if _is_external(tensor) or _elements(tensor) <= WEIGHTLESS_LIMIT:
            continue
        present = [name for name in _VALUE_FIELDS if len(getattr(tensor, name))]
        present += ["raw_data"] if tensor.HasField("raw_data") else []
        if len(present) != 1:
            raise InvalidModel(f"{label}: initializer {tensor.name!r} should hold its values in exactly one field")


def _refuse_external(model: onnx.ModelProto, label: str) -> None:
    for tensor in _all_tensors(model):
        if _is_external(tensor):
            raise InvalidModel(
                f"{label}: tensor {tensor.name!r} keeps its data in an external file, and a model given as "
                "bytes or a ModelProto has no directory to find it in: pass the .onnx file's path"
            )


def _set_location(tensor: onnx.TensorProto, location: str) -> None:
    for entry in tensor.external_data:
        if entry.key == "location":
            entry.value = location


def _external_span(tensor: onnx.TensorProto) -> tuple[str, int, int]:
    entries = {e.key: e.value for e in tensor.external_data}
    offset = int(entries.get("offset", 0))
    length = int(entries["length"]) if "length" in entries else _declared_bytes(tensor)
    return entries.get("location", ""), offset, length


def _load_small_external(model: onnx.ModelProto) -> None:
    """Small external tensors come into the model (shape inference may need their values)."""
    for tensor in _all_tensors(model):
        if _is_external(tensor) and _elements(tensor) <= WEIGHTLESS_LIMIT:
            location, offset, length = _external_span(tensor)
            with open(location, "rb") as f:
                f.seek(offset)
                tensor.raw_data = f.read(length)
            tensor.data_location = onnx.TensorProto.DEFAULT
            del tensor.external_data[:]


def tensor_array(tensor: onnx.TensorProto) -> np.ndarray:
    """The value of a tensor of a model load_onnx returned. Data left on disk by `lazy` is memory-mapped
    (read-only, paged in when used, never all at once): porter's writers stream it to the output."""
    if not _is_external(tensor):
        try:
            return onnx.numpy_helper.to_array(tensor)
        except ValueError as exc:  # e.g. raw_data shorter than its dims declare
            raise InvalidModel(
                f"initializer {tensor.name!r}: its data does not match its dims and dtype ({exc})"
            ) from None
    location, offset, length = _external_span(tensor)
    if not os.path.isabs(location):  # only load_onnx's checked locations are absolute
        raise InvalidModel(
            f"tensor {tensor.name!r}: its data is in an external file ({location!r}) porter has not located; "
            "load the model from its .onnx path"
        )
    dtype = np.dtype(onnx.helper.tensor_dtype_to_np_dtype(tensor.data_type))
    shape = tuple(int(d) for d in tensor.dims)
    count = _elements(tensor)
    if tensor.data_type in _PACKED_TYPES or tensor.data_type == onnx.TensorProto.STRING or sys.byteorder != "little":
        with open(location, "rb") as f:  # rare layouts: onnx's own conversion, on the bytes alone
            f.seek(offset)
            inline = onnx.TensorProto(name=tensor.name, dims=shape, data_type=tensor.data_type, raw_data=f.read(length))
        return onnx.numpy_helper.to_array(inline)
    if count == 0:
        return np.zeros(shape, dtype)
    return np.memmap(location, dtype=dtype, mode="r", offset=offset, shape=shape)


def read_model(path: Path, label: str, lazy: bool) -> onnx.ModelProto:
    """Parse the model file; with lazy, its large inline weights become external data of the file itself,
    so the protobuf library never copies them."""
    if lazy and sys.byteorder == "little" and path.stat().st_size >= LAZY_FILE_BYTES:
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            try:
                rewritten = _inline_weights_as_external(data, str(path.resolve()))
            except ValueError:  # not well-formed protobuf: the parser below says so properly
                rewritten = None
            if rewritten is not None:
                return _parse(rewritten, label)
    data = path.read_bytes()
    if not data:
        raise InvalidModel(f"{path}: file is empty")
    return _parse(data, label)


def _inline_weights_as_external(data, own_path: str) -> bytes | None:
    """The model file's bytes, each large raw_data of a main-graph initializer replaced by a reference to
    where it lies in this same file; None when there is none to replace."""
    # ModelProto.graph = 7; GraphProto.initializer = 5; TensorProto raw_data = 9, external_data = 13,
    # data_location = 14; StringStringEntryProto key = 1, value = 2
    top = list(wire_fields(data))
    graphs = [f for f in top if f.number == 7 and f.wire == 2]
    if len(graphs) != 1:
        return None
    graph, moved = bytearray(), 0
    for field in wire_fields(data, graphs[0].payload, graphs[0].end):
        if field.number != 5 or field.wire != 2:
            graph += data[field.start : field.end]
            continue
        parts = list(wire_fields(data, field.payload, field.end))
        raw = [p for p in parts if p.number == 9 and p.wire == 2]
        if len(raw) != 1 or raw[0].end - raw[0].payload < LAZY_INLINE_BYTES or any(p.number in (13, 14) for p in parts):
            graph += data[field.start : field.end]
            continue
        tensor = bytearray()
        for p in parts:
            if p.number != 9:
                tensor += data[p.start : p.end]
        for key, value in (("location", own_path), ("offset", raw[0].payload), ("length", raw[0].end - raw[0].payload)):
            entry = length_field(1, key.encode()) + length_field(2, str(value).encode())
            tensor += length_field(13, entry)
        tensor += varint_field(14, onnx.TensorProto.EXTERNAL)
        graph += length_field(5, bytes(tensor))
        moved += 1
    if not moved:
        return None
    out = bytearray()
    for field in top:
        out += length_field(7, bytes(graph)) if field is graphs[0] else data[field.start : field.end]
    return bytes(out)


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
