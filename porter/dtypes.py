"""Canonical dtype names for ONNX element types, shared by every target's dtype table."""

from __future__ import annotations

import numpy as np
import onnx

# ONNX TensorProto.DataType -> canonical name. Names match numpy's where numpy has the type.
ONNX_TO_NAME: dict[int, str] = {
    onnx.TensorProto.FLOAT: "float32",
    onnx.TensorProto.DOUBLE: "float64",
    onnx.TensorProto.FLOAT16: "float16",
    onnx.TensorProto.BFLOAT16: "bfloat16",
    onnx.TensorProto.INT8: "int8",
    onnx.TensorProto.INT16: "int16",
    onnx.TensorProto.INT32: "int32",
    onnx.TensorProto.INT64: "int64",
    onnx.TensorProto.UINT8: "uint8",
    onnx.TensorProto.UINT16: "uint16",
    onnx.TensorProto.UINT32: "uint32",
    onnx.TensorProto.UINT64: "uint64",
    onnx.TensorProto.BOOL: "bool",
    onnx.TensorProto.STRING: "string",
    onnx.TensorProto.COMPLEX64: "complex64",
    onnx.TensorProto.COMPLEX128: "complex128",
}
for _name in dir(onnx.TensorProto):
    # float8/float4/int4 and whatever newer onnx adds: known by name, never numeric-compatible here.
    _value = getattr(onnx.TensorProto, _name)
    low_precision = any(_name.startswith(p) for p in ("FLOAT8", "FLOAT4", "INT4", "UINT4", "INT2", "UINT2"))
    if low_precision and isinstance(_value, int) and _value not in ONNX_TO_NAME:
        ONNX_TO_NAME[_value] = _name.lower()

NAME_TO_ONNX = {name: code for code, name in ONNX_TO_NAME.items()}

FLOATS = frozenset({"float16", "bfloat16", "float32", "float64"})
SIGNED_INTS = frozenset({"int8", "int16", "int32", "int64"})
UNSIGNED_INTS = frozenset({"uint8", "uint16", "uint32", "uint64"})
INTS = SIGNED_INTS | UNSIGNED_INTS
NUMERIC = FLOATS | INTS


def onnx_dtype_name(elem_type: int) -> str:
    return ONNX_TO_NAME.get(elem_type, f"onnx_type_{elem_type}")


def numpy_dtype(name: str) -> np.dtype:
    if name == "bfloat16":
        import ml_dtypes

        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(name)


def array_dtype_name(array: np.ndarray) -> str:
    name = array.dtype.name
    return "string" if array.dtype.kind in "OSU" else name
