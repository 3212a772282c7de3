"""Write MindSpore .ckpt files without importing mindspore.

A .ckpt is a protobuf `Checkpoint { repeated Value value = 1; }` with
`Value { required string tag = 1; TensorProto tensor = 2; }` and
`TensorProto { repeated int64 dims = 1; required string tensor_type = 2; required bytes tensor_content = 3; }`
(mindspore/train/checkpoint.proto). Encoding it by hand keeps the converting process free of
mindspore (which must not share a process with torch) and writes tensors one at a time.
"""

from __future__ import annotations

import numpy as np

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


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        low = n & 0x7F
        n >>= 7
        if n:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited field (wire type 2)."""
    return _varint((number << 3) | 2) + _varint(len(payload)) + payload


def _tensor_proto(array: np.ndarray) -> bytes:
    type_name = CKPT_TYPES.get(array.dtype.name)
    if type_name is None:
        raise ValueError(f"MindSpore checkpoints cannot hold dtype {array.dtype}")
    dims = b"".join(_varint(1 << 3) + _varint(int(d)) for d in array.shape)
    return dims + _field(2, type_name.encode()) + _field(3, np.ascontiguousarray(array).tobytes())


def write_checkpoint(state: dict[str, np.ndarray], path: str) -> None:
    with open(path, "wb") as f:
        for name, array in state.items():
            value = _field(1, name.encode("utf-8")) + _field(2, _tensor_proto(np.asarray(array)))
            f.write(_field(1, value))


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def _fields(data: bytes):
    """(field number, wire type, value) of a protobuf message: ints for varints, bytes for length-delimited."""
    pos = 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _read_varint(data, pos)
        elif wire == 2:
            length, pos = _read_varint(data, pos)
            if pos + length > len(data):
                raise ValueError("truncated field")
            value, pos = data[pos : pos + length], pos + length
        else:
            raise ValueError(f"unexpected wire type {wire}")
        yield number, wire, value


def read_checkpoint(path: str) -> dict[str, np.ndarray]:
    """The tensors of a .ckpt in the layout write_checkpoint writes (numpy only; no pickle, no mindspore)."""
    names = {v: k for k, v in CKPT_TYPES.items()}
    with open(path, "rb") as f:
        data = f.read()
    state = {}
    for number, _, value in _fields(data):
        if number != 1:
            continue
        tag, tensor = None, None
        for n, _, v in _fields(value):
            tag, tensor = (v.decode("utf-8"), tensor) if n == 1 else (tag, v if n == 2 else tensor)
        dims, type_name, content = [], None, b""
        for n, wire, v in _fields(tensor or b""):
            if n == 1:
                dims += [v] if wire == 0 else [_read_varint(v, 0)[0]]  # packed dims: one varint here
            elif n == 2:
                type_name = v.decode()
            elif n == 3:
                content = v
        if tag is None or type_name not in names:
            raise ValueError(f"{path}: a tensor without a name or with unknown type {type_name!r}")
        dtype = np.dtype(names[type_name]) if names[type_name] != "bfloat16" else _bfloat16()
        state[tag] = np.frombuffer(content, dtype=dtype).reshape(dims).copy()
    return state


def _bfloat16():
    import ml_dtypes

    return np.dtype(ml_dtypes.bfloat16)
