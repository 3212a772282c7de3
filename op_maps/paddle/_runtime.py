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
    """paddle.jit.to_static (whole graph, symbolic dims as None) + paddle.jit.save: a program for Paddle
    Inference / Lite that runs at any size of those dims. Returns the files written."""
    import os

    import paddle

    specs = [
        paddle.static.InputSpec(
            shape=[d if isinstance(d, int) else None for d in s["shape"]], dtype=s["dtype"], name=s["name"]
        )
        for s in input_specs
    ]
    # full_graph=True: the AST translator compiles all of forward or fails, naming the line; the default
    # (SOT) would silently fall back to Python for what it cannot capture, which paddle.jit.save cannot keep
    static = paddle.jit.to_static(model, input_spec=specs, full_graph=True)
    paddle.jit.save(static, path)
    folder, stem = os.path.split(path)
    return sorted(os.path.join(folder, f) for f in os.listdir(folder or ".") if f.startswith(stem + "."))


class _Predictor:
    """The saved program run by paddle.inference (the deployment runtime), called like the model."""

    def __init__(self, path: str, onednn: bool = True):
        import os

        from paddle import inference

        program = next(path + ext for ext in (".json", ".pdmodel") if os.path.exists(path + ext))
        params = path + ".pdiparams"
        # a model without parameters has no .pdiparams; Config(program) alone would mean a model directory
        config = inference.Config(program, params if os.path.exists(params) else "")
        config.disable_gpu()
        config.disable_glog_info()
        if not onednn:
            config.disable_mkldnn()
        self.predictor = inference.create_predictor(config)

    def __call__(self, *tensors):
        for name, tensor in zip(self.predictor.get_input_names(), tensors):
            handle = self.predictor.get_input_handle(name)
            array = to_numpy(tensor)
            handle.reshape(list(array.shape))
            handle.copy_from_cpu(np.ascontiguousarray(array))
        self.predictor.run()
        outputs = [self.predictor.get_output_handle(n).copy_to_cpu() for n in self.predictor.get_output_names()]
        return tuple(outputs) if len(outputs) > 1 else outputs[0]


def load_exported(path: str):
    """A callable running the exported program with paddle.inference (for checking it against model.py)."""
    return _Predictor(path)


def exported_runtimes(path: str) -> list:
    """(label, callable) for each configuration an export is checked with, the default first. Paddle
    Inference runs CPU programs through oneDNN by default; its kernels changed ViT's output by 0.14
    (measured: the same program with oneDNN off, and paddle.jit.load, match model.py exactly)."""
    return [
        ("paddle.inference (default config, oneDNN on)", _Predictor(path)),
        ("paddle.inference with config.disable_mkldnn()", _Predictor(path, onednn=False)),
    ]


def train_steps(model, batches: list[list[np.ndarray]], lr: float, weight_decay: float) -> tuple[list, dict]:
    """`porter validate --train`: one AdamW step per batch (torch.optim.AdamW's defaults besides lr and
    weight_decay) on the model in eval mode (dropout off) with gradients on; the loss is the mean of the
    first output squared. Returns (the loss per step, {parameter: gradient} at step 1)."""
    import paddle

    model.eval()
    named = [(name, p) for name, p in model.named_parameters() if not p.stop_gradient]
    optimizer = paddle.optimizer.AdamW(
        learning_rate=lr,
        parameters=[p for _, p in named],
        beta1=0.9,
        beta2=0.999,
        epsilon=1e-8,
        weight_decay=weight_decay,
    )
    losses, first_grads = [], {}
    for arrays in batches:
        outputs = model(*[to_tensor(a) for a in arrays])
        first = outputs[0] if isinstance(outputs, tuple | list) else outputs
        loss = paddle.mean(paddle.square(first.astype("float32")))
        loss.backward()
        if not first_grads:
            first_grads = {name: to_numpy(p.grad) for name, p in named if p.grad is not None}
        optimizer.step()
        optimizer.clear_grad()
        losses.append(float(loss))
    return losses, first_grads
