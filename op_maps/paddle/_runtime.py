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


def run(model, arrays: list[np.ndarray]) -> list[np.ndarray]:
    import paddle

    with paddle.no_grad():
        outputs = model(*[paddle.to_tensor(a) for a in arrays])
    if not isinstance(outputs, tuple | list):
        outputs = (outputs,)
    return [np.asarray(o.numpy()) if hasattr(o, "numpy") else np.asarray(o) for o in outputs]
