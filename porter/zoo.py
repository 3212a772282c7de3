"""The nine model-zoo CNNs shipped in onnx's wheel (onnx/backend/test/data/light), as test cases.

Inputs are what onnx's own backend runner feeds them (arange(n)/n reshaped to the input shape, the
"dummy" input its expected outputs were made with); tolerances are the ones onnx's runner uses.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx

from porter.conformance import Case

# name -> (rtol, atol), from onnx.backend.test.case.model.collect_testcases
ZOO_MODELS = {
    "bvlc_alexnet": (1e-3, 1e-7),
    "densenet121": (2e-3, 1e-7),
    "inception_v1": (1e-3, 1e-7),
    "inception_v2": (1e-3, 1e-7),
    "resnet50": (1e-3, 1e-7),
    "shufflenet": (1e-3, 1e-7),
    "squeezenet": (1e-3, 1e-7),
    "vgg19": (1e-3, 1e-7),
    "zfnet512": (1e-3, 1e-7),
}


def zoo_dir() -> Path:
    return Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"


def model_path(name: str) -> Path:
    return zoo_dir() / f"light_{name}.onnx"


def dummy_input(value_info: onnx.ValueInfoProto) -> np.ndarray:
    shape = tuple(d.dim_value if d.HasField("dim_value") else 1 for d in value_info.type.tensor_type.shape.dim)
    n = int(np.prod(shape))
    return (np.arange(n).reshape(shape) / n).astype(np.float32)


def zoo_case(name: str) -> Case:
    path = model_path(name)
    model = onnx.load(path)
    initializers = {i.name for i in model.graph.initializer}
    inputs = [dummy_input(vi) for vi in model.graph.input if vi.name not in initializers]
    expected = onnx.TensorProto()
    expected.ParseFromString((zoo_dir() / f"light_{name}_output_0.pb").read_bytes())
    rtol, atol = ZOO_MODELS[name]
    return Case(f"zoo_{name}", "model", path.read_bytes(), inputs, [onnx.numpy_helper.to_array(expected)], rtol, atol)


def zoo_cases(names: list[str] | None = None) -> list[Case]:
    return [zoo_case(n) for n in (names or sorted(ZOO_MODELS))]
