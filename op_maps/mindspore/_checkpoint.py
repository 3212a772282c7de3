"""Write MindSpore .ckpt files without importing mindspore.

A .ckpt is a protobuf `Checkpoint { repeated Value value = 1; }` with
`Value { required string tag = 1; TensorProto tensor = 2; }` and
`TensorProto { repeated int64 dims = 1; required string tensor_type = 2; required bytes tensor_content = 3; }`
(mindspore/train/checkpoint.proto). Encoding it by hand keeps the converting process free of
mindspore (which must not share a process with torch) and writes tensors one at a time.
"""

from __future__ import annotations

import mmap
import os

import numpy as np

from porter.codegen.tensors import c_order_chunks, release
from porter.protowire import LENGTH, VARINT, Field, fields, length_field, length_prefix, read_varint, varint_field

# numpy dtype name -> MindSpore's tensor_type string (mindspore.train.serialization.tensor_to_ms_type)
CKPT_TYPES = {
    "int8": "Int8",
    "uint8": "UInt8",
    "int16": "Int16",
    "uint16": "UInt16",
    "int32": "Int32",
    "uint32": "UInt32",
    "int64": "Int64",
    "uint64": "UInt64",
    "float16": "Float16",
    "float32": "Float32",
    "float64": "Float64",
    "bool": "Bool",
    "bfloat16": "BFloat16",
}


def write_checkpoint(state: dict[str, np.ndarray], path: str) -> None:
    """Tensor by tensor: each Value's header, then its content in pieces (porter.codegen.tensors)."""
    with open(path, "wb") as f:
        for name, value in state.items():
            array = np.asarray(value)
            type_name = CKPT_TYPES.get(array.dtype.name)
            if type_name is None:
                raise ValueError(f"MindSpore checkpoints cannot hold dtype {array.dtype}")
            dims = b"".join(varint_field(1, int(d)) for d in array.shape)
            tensor_head = dims + length_field(2, type_name.encode()) + length_prefix(3, array.nbytes)
            value_head = length_field(1, name.encode("utf-8")) + length_prefix(2, len(tensor_head) + array.nbytes)
            f.write(length_prefix(1, len(value_head) + len(tensor_head) + array.nbytes) + value_head + tensor_head)
            for chunk in c_order_chunks(array):
                f.write(chunk)
            release(value)


def read_checkpoint(path: str, mapped: bool = False) -> dict[str, np.ndarray]:
    """The tensors of a .ckpt in the layout write_checkpoint writes (numpy only; no pickle, no mindspore).
    mapped: read-only views of the memory-mapped file (read from disk on use) instead of copies."""
    names = {v: k for k, v in CKPT_TYPES.items()}
    with open(path, "rb") as f:
        mappable = mapped and os.fstat(f.fileno()).st_size > 0  # mmap refuses an empty file
        data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if mappable else f.read()
    state = {}
    for entry in _fields(data):
        if entry.number != 1:
            continue
        tag, tensor = None, None
        for field in _fields(data, entry):
            tag, tensor = (
                (_text(data, field), tensor) if field.number == 1 else (tag, field if field.number == 2 else tensor)
            )
        dims, type_name, content = [], None, (0, 0)
        for field in _fields(data, tensor) if tensor is not None else ():
            if field.number == 1:  # a packed dims field holds one varint here
                dims += [field.value] if field.wire == VARINT else [read_varint(data, *_span(field))[0]]
            elif field.number == 2:
                type_name = _text(data, field)
            elif field.number == 3:
                content = _span(field)
        if tag is None or type_name not in names:
            raise ValueError(f"{path}: a tensor without a name or with unknown type {type_name!r}")
        dtype = np.dtype(names[type_name]) if names[type_name] != "bfloat16" else _bfloat16()
        if (content[1] - content[0]) % dtype.itemsize:
            raise ValueError(f"{path}: tensor {tag!r}: {content[1] - content[0]} bytes are not whole {dtype} values")
        count = (content[1] - content[0]) // dtype.itemsize
        array = np.frombuffer(data, dtype=dtype, count=count, offset=content[0]).reshape(dims)
        state[tag] = array if mapped else array.copy()
    return state


def _fields(data: bytes, parent: Field | None = None):
    """The fields of the whole checkpoint, or of one length-delimited field's message."""
    return fields(data) if parent is None else fields(data, *_span(parent))


def _span(field: Field) -> tuple[int, int]:
    if field.wire != LENGTH:
        raise ValueError(f"field {field.number}: expected a length-delimited value, got wire type {field.wire}")
    return field.payload, field.end


def _text(data: bytes, field: Field) -> str:
    return data[slice(*_span(field))].decode("utf-8")


def _bfloat16():
    import ml_dtypes

    return np.dtype(ml_dtypes.bfloat16)
