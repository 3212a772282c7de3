"""Target-neutral cases for op_maps/<target>/cast.py."""

import numpy as np
from onnx import TensorProto

from tests.op_maps.harness import NodeCase

X = np.array([-2.7, -0.5, 0.0, 0.5, 2.7, 100.2], np.float32)

CASES = [
    NodeCase("float_to_int_truncates", "Cast", {"x": X}, attrs={"to": TensorProto.INT32}),
    NodeCase("float_to_bool", "Cast", {"x": X}, attrs={"to": TensorProto.BOOL}),
    NodeCase("int_to_float16", "Cast", {"x": np.arange(-3, 3)}, attrs={"to": TensorProto.FLOAT16}),
    NodeCase("float_to_uint8", "Cast", {"x": np.abs(X)}, attrs={"to": TensorProto.UINT8}),
    NodeCase("castlike_double", "CastLike", {"x": X, "like": np.zeros(1, np.float64)}),
    NodeCase("cast_to_float8_refused", "Cast", {"x": X}, attrs={"to": TensorProto.FLOAT8E4M3FN}, refuse="float8"),
]
