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
