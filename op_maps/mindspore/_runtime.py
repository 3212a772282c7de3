"""How porter's runners hand numpy arrays to a generated MindSpore model and read results back.

Imported only inside worker processes. PORTER_MS_MODE=graph runs the model under GRAPH_MODE (how it
runs fast on Ascend); the default is PYNATIVE_MODE.
"""

from __future__ import annotations

import os

import numpy as np

_DEVICES = {"cpu": "CPU", "gpu": "GPU", "cuda": "GPU", "npu": "Ascend", "ascend": "Ascend"}


def prepare(device: str = "cpu") -> None:
    import mindspore

    mode = mindspore.GRAPH_MODE if os.environ.get("PORTER_MS_MODE") == "graph" else mindspore.PYNATIVE_MODE
    mindspore.set_context(mode=mode)
    mindspore.set_device(_DEVICES.get(device.lower(), device))


def to_tensor(array: np.ndarray):
    import mindspore

    if array.dtype.name == "bfloat16":  # ml_dtypes' bfloat16 goes through float32 exactly
        return mindspore.Tensor(array.astype(np.float32)).astype(mindspore.bfloat16)
    return mindspore.Tensor(array)


def to_numpy(tensor) -> np.ndarray:
    import mindspore

    if not hasattr(tensor, "asnumpy"):
        return np.asarray(tensor)
    if tensor.dtype == mindspore.bfloat16:
        import ml_dtypes

        return tensor.astype(mindspore.float32).asnumpy().astype(ml_dtypes.bfloat16)
    return np.asarray(tensor.asnumpy())


def run(model, arrays: list[np.ndarray]) -> list[np.ndarray]:
    outputs = model(*[to_tensor(a) for a in arrays])
    if not isinstance(outputs, tuple | list):
        outputs = (outputs,)
    return [to_numpy(o) for o in outputs]


def export(model, input_specs: list[dict], path: str) -> list[str]:
    """mindspore.export a MindIR file (MindSpore Lite / Ascend); symbolic dims become dynamic (None)."""
    import mindspore

    dtypes = {"bool": mindspore.bool_}
    inputs = [
        mindspore.Tensor(
            shape=[d if isinstance(d, int) else None for d in s["shape"]],
            dtype=dtypes.get(s["dtype"], getattr(mindspore, s["dtype"])),
        )
        for s in input_specs
    ]
    mindspore.export(model, *inputs, file_name=path, file_format="MINDIR")
    return [path + ".mindir"]


def load_exported(path: str):
    import mindspore

    return mindspore.nn.GraphCell(mindspore.load(path + ".mindir"))


def exported_runtimes(path: str) -> list:
    """(label, callable) for each configuration an export is checked with."""
    return [("mindspore.nn.GraphCell(mindspore.load(...))", load_exported(path))]


def train_steps(model, batches: list[list[np.ndarray]], lr: float, weight_decay: float) -> tuple[list, dict]:
    """`porter validate --train`: one AdamW step per batch on the model in eval mode (dropout off) with
    gradients on; the loss is the mean of the first output squared. mindspore.experimental.optim.AdamW
    follows torch.optim.AdamW (nn.AdamWeightDecay has no bias correction). Returns (the loss per step,
    {parameter: gradient} at step 1)."""
    import mindspore
    from mindspore import ops
    from mindspore.experimental.optim import AdamW

    model.set_train(False)
    params = model.trainable_params()
    optimizer = AdamW(params, lr=lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=weight_decay)

    def loss_of(*tensors):
        outputs = model(*tensors)
        first = outputs[0] if isinstance(outputs, tuple | list) else outputs
        return ops.mean(ops.square(first.astype(mindspore.float32)))

    value_and_grad = mindspore.value_and_grad(loss_of, None, optimizer.parameters)
    losses, first_grads = [], {}
    for arrays in batches:
        loss, grads = value_and_grad(*[to_tensor(a) for a in arrays])
        if not first_grads:
            first_grads = {p.name: to_numpy(g) for p, g in zip(params, grads)}
        optimizer(grads)
        losses.append(float(loss.asnumpy()))
    return losses, first_grads
