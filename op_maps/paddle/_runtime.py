"""How porter's runners hand numpy arrays to a generated Paddle model and read results back.

Imported only inside worker processes (validation, conformance), never by convert.
"""

from __future__ import annotations

import numpy as np


def prepare(device: str = "cpu") -> None:
    import paddle

    paddle.set_device(_paddle_device(device))


def _paddle_device(device: str) -> str:
    # porter's device strings -> Paddle's; custom devices (npu, mlu, ...) pass through unchanged.
    return {"cpu": "cpu", "gpu": "gpu", "cuda": "gpu", "ascend": "npu"}.get(device, device)


def to_tensor(array: np.ndarray):
    import paddle

    if array.dtype.name == "bfloat16":  # numpy has no bfloat16; ml_dtypes' arrays go through float32 exactly
        return paddle.to_tensor(array.astype(np.float32)).astype("bfloat16")
    return paddle.to_tensor(array)


def to_numpy(tensor) -> np.ndarray:
    import paddle

    if not hasattr(tensor, "numpy"):
        return np.asarray(tensor)
    if tensor.dtype == paddle.bfloat16:
        import ml_dtypes

        return tensor.astype("float32").numpy().astype(ml_dtypes.bfloat16)
    return np.asarray(tensor.numpy())


def run(model, arrays: list[np.ndarray]) -> list[np.ndarray]:
    import paddle

    with paddle.no_grad():
        outputs = model(*[to_tensor(a) for a in arrays])
    if not isinstance(outputs, tuple | list):
        outputs = (outputs,)
    return [to_numpy(o) for o in outputs]


def export(model, input_specs: list[dict], path: str) -> list[str]:
    """paddle.jit.save an inference model (Paddle Inference / Lite); returns the files written."""
    import os

    import paddle

    specs = [
        paddle.static.InputSpec(
            shape=[d if isinstance(d, int) else None for d in s["shape"]], dtype=s["dtype"], name=s["name"]
        )
        for s in input_specs
    ]
    paddle.jit.save(model, path, input_spec=specs)
    folder, stem = os.path.split(path)
    return sorted(os.path.join(folder, f) for f in os.listdir(folder or ".") if f.startswith(stem + "."))


def load_exported(path: str):
    """A callable running the exported inference model (for checking it against the generated code)."""
    import paddle

    return paddle.jit.load(path)
