"""`porter validate OUT --train`: does the port fine-tune as its PyTorch source does?

N AdamW steps on PyTorch (the source factory) and on the port, each in its own process, from the same
weights (the port's are the source's, converted) on the same batches (random inputs at the example's
sizes, one seed per step), in eval mode (dropout off) with gradients on. The loss is the mean of the first
output squared. Verdicts: the loss at every step within LOSS_RTOL of PyTorch's, and every parameter's
gradient at step 1 within GRAD_RTOL of PyTorch's, compared through report.json's weight map (torch key ->
port key, and Paddle's transposed Linear weights).

    python -m porter.validators.train torch SPEC BATCHES.npz OUT.npz LR WEIGHT_DECAY
    python -m porter.validators.train target TARGET OUT_DIR BATCHES.npz OUT.npz LR WEIGHT_DECAY DEVICE
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

from porter import launcher
from porter.errors import PorterError

DEFAULT_STEPS = 5
DEFAULT_LR = 1e-3
WEIGHT_DECAY = 0.01  # torch.optim.AdamW's default, passed to every side explicitly
LOSS_RTOL = 1e-4
# a parameter's gradient: the largest difference relative to the largest magnitude of PyTorch's gradient,
# that magnitude floored at GRAD_FLOOR x the largest of any parameter: a gradient that is zero in exact
# arithmetic (attention's key bias: softmax ignores a shift shared by a row) is rounding noise on both sides
GRAD_RTOL = 1e-4
GRAD_FLOOR = 1e-6
TIMEOUT = 1800
LOSS = "mean of the first output squared"


def validate_training(
    out_dir,
    against=None,
    *,
    steps: int = DEFAULT_STEPS,
    lr: float = DEFAULT_LR,
    device: str = "cpu",
    seed: int = 0,
    progress=None,
) -> dict:
    from porter.frontends.torch_source import is_torch_spec
    from porter.validators.validate import input_sets, read_report, source_model

    out_dir = Path(out_dir)
    if steps < 1:
        raise PorterError(f"--steps must be at least 1 (got {steps})")
    report = read_report(out_dir)
    if not is_torch_spec(str(against) if against is not None else report.get("source", "")):
        raise PorterError(
            f"{out_dir}: --train compares against PyTorch: convert from a PyTorch factory, or give --against "
            "pkg.module:factory"
        )
    model, source_label, torch_spec = source_model(out_dir, against)
    say = progress or (lambda _msg: None)
    example_shapes = (report.get("export") or {}).get("example_shapes")
    batches = {
        f"step{k}_input_{i}": array
        for k in range(steps)
        for i, array in enumerate(input_sets(model, (), seed + k, example_shapes)[0]["arrays"])
    }
    with tempfile.TemporaryDirectory(prefix="porter-train-") as tmp_name:
        tmp = Path(tmp_name)
        np.savez(tmp / "batches.npz", **batches)
        hyper = [str(lr), str(WEIGHT_DECAY)]
        say(f"PyTorch: {steps} AdamW steps")
        _side(["torch", torch_spec, tmp / "batches.npz", tmp / "torch.npz", *hyper], "PyTorch", source=True)
        say(f"{report['target']}: {steps} AdamW steps")
        crash = _side(
            ["target", report["target"], out_dir, tmp / "batches.npz", tmp / "port.npz", *hyper, device],
            f"the generated {report['target']} model",
        )
        torch_side = _read(tmp / "torch.npz")
        port_side = None if crash else _read(tmp / "port.npz")
    result = {
        "kind": "porter-validate-train",
        "target": report["target"],
        "device": device,
        "source": source_label,
        "steps": steps,
        "lr": lr,
        "weight_decay": WEIGHT_DECAY,
        "loss": LOSS,
        "criteria": {"loss_rtol": LOSS_RTOL, "grad_rtol": GRAD_RTOL},
    }
    if crash:
        return {**result, "passed": False, "crashed": crash, "rows": [], "gradients": []}
    rows = compare_losses(torch_side["losses"], port_side["losses"])
    gradients, unmapped = compare_gradients(torch_side["grads"], port_side["grads"], report.get("parameters", []))
    result.update(rows=rows, gradients=gradients, unmapped=unmapped)
    # a PyTorch parameter that learns but has no counterpart in the port: the port cannot train like it
    result["passed"] = (
        all(r["passed"] for r in rows) and all(g["passed"] for g in gradients) and bool(gradients) and not unmapped
    )
    return result


def _side(args: list, what: str, source: bool = False) -> str | None:
    """Run one side in its own process; None on success, else why it failed. The source failing is not a
    verdict on the port: it raises."""
    try:
        launcher.run(launcher.python_command("porter.validators.train", *args), what, timeout=TIMEOUT)
    except launcher.HelperFailed as exc:
        if source:
            raise PorterError(str(exc)) from None
        return str(exc)
    return None


def _read(path: Path) -> dict:
    with np.load(path, allow_pickle=False) as data:
        return {
            "losses": [float(v) for v in data["losses"]],
            "grads": {k[len("grad:") :]: data[k] for k in data.files if k.startswith("grad:")},
        }


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), np.finfo(np.float64).tiny)


def compare_losses(torch_losses: list[float], port_losses: list[float]) -> list[dict]:
    rows = []
    for k, expected in enumerate(torch_losses):
        actual = port_losses[k] if k < len(port_losses) else float("nan")
        rel = _rel(actual, expected)
        rows.append({"step": k + 1, "torch": expected, "port": actual, "rel": rel, "passed": bool(rel <= LOSS_RTOL)})
    return rows


def compare_gradients(torch_grads: dict, port_grads: dict, weight_map: list[dict]) -> tuple[list[dict], list[str]]:
    """One row per PyTorch parameter with a gradient: the port's through the weight map. PyTorch
    parameters the map does not name (unused by the traced forward, or tied by the exporter) are listed."""
    rows, mapped = [], set()
    floor = GRAD_FLOOR * max((float(np.max(np.abs(g), initial=0.0)) for g in torch_grads.values()), default=0.0)
    for entry in weight_map:
        source, key = entry["source"], entry["target"]
        if source not in torch_grads:
            continue  # a buffer, or a constant the exporter folded: no gradient on either side
        mapped.add(source)
        expected = torch_grads[source]
        row = {"parameter": source, "port": key}
        if key not in port_grads:
            rows.append({**row, "passed": False, "reason": "the port has no gradient for it (not trainable?)"})
            continue
        actual = port_grads[key].T if entry.get("transform") == "transpose" else port_grads[key]
        if actual.shape != expected.shape:
            reason = f"shape {list(actual.shape)} != PyTorch's {list(expected.shape)}"
            rows.append({**row, "passed": False, "reason": reason})
            continue
        diff = float(np.max(np.abs(actual.astype(np.float64) - expected), initial=0.0))
        scale = max(float(np.max(np.abs(expected), initial=0.0)), floor)
        rel = diff / scale if scale else (0.0 if diff == 0 else float("inf"))
        rows.append({**row, "max_abs": diff, "rel": rel, "passed": bool(rel <= GRAD_RTOL)})
    return rows, sorted(set(torch_grads) - mapped)


# ---- the two sides, each in its own process ------------------------------------------------------
def _batches(path: str) -> list[list[np.ndarray]]:
    with np.load(path, allow_pickle=False) as data:
        steps = sorted({int(k.split("_")[0][len("step") :]) for k in data.files})
        return [
            [data[f"step{k}_input_{i}"] for i in range(sum(1 for f in data.files if f.startswith(f"step{k}_")))]
            for k in steps
        ]


def _write(path: str, losses: list[float], grads: dict) -> None:
    np.savez(path, losses=np.asarray(losses, dtype=np.float64), **{f"grad:{k}": v for k, v in grads.items()})


def train_torch(spec: str, batches_path: str, out_path: str, lr: str, weight_decay: str) -> None:
    """The source's AdamW steps: the factory's module in eval mode, gradients on."""
    import torch

    from porter.frontends.torch_source import load_factory
    from porter.validators.runners import call_torch

    module, example = load_factory(spec)
    module.eval()
    named = [(name, p) for name, p in module.named_parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        [p for _, p in named], lr=float(lr), betas=(0.9, 0.999), eps=1e-8, weight_decay=float(weight_decay)
    )
    losses, first_grads = [], {}
    for arrays in _batches(batches_path):
        loss = call_torch(module, example, arrays)[0].float().square().mean()
        loss.backward()
        if not first_grads:
            first_grads = {name: p.grad.double().numpy() for name, p in named if p.grad is not None}
        optimizer.step()
        optimizer.zero_grad()
        losses.append(float(loss))
    _write(out_path, losses, first_grads)


def train_target(
    target: str, out_dir: str, batches_path: str, out_path: str, lr: str, weight_decay: str, device: str = "cpu"
) -> None:
    """The port's AdamW steps, by the target runtime's own train_steps."""
    import warnings

    from porter.loading import load
    from porter.targets import get_target

    runtime = get_target(target).load_runtime()
    runtime.prepare(device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        losses, grads = runtime.train_steps(load(out_dir), _batches(batches_path), float(lr), float(weight_decay))
    _write(out_path, losses, grads)


def main(argv: list[str]) -> int:
    if argv[:1] == ["torch"] and len(argv) == 6:
        train_torch(*argv[1:])
    elif argv[:1] == ["target"] and len(argv) in (7, 8):
        train_target(*argv[1:])
    else:
        print(__doc__, file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
