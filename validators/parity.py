"""A first parity check: the generated model against onnxruntime on the same random inputs.

Both sides run in their own subprocess; the verdict per output uses the per-dtype tolerances in
porter.validators.tolerances. Symbolic dimensions take the size given in `dim_values` (default 2).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx

from porter.dtypes import numpy_dtype, onnx_dtype_name
from porter.errors import PorterError
from porter.frontends.onnx_source import load_onnx
from porter.validators.tolerances import tolerance_for

DEFAULT_TIMEOUT = 600


def random_inputs(model: onnx.ModelProto, seed: int = 0, dim_values: dict[str, int] | None = None) -> list[np.ndarray]:
    """Random inputs matching the graph inputs (initializers excluded): normal floats, small ints."""
    rng = np.random.default_rng(seed)
    dim_values = dim_values or {}
    initializers = {i.name for i in model.graph.initializer}
    arrays = []
    for vi in model.graph.input:
        if vi.name in initializers:
            continue
        tt = vi.type.tensor_type
        shape = [d.dim_value if d.HasField("dim_value") else dim_values.get(d.dim_param, 2) for d in tt.shape.dim]
        dtype = numpy_dtype(onnx_dtype_name(tt.elem_type))
        if dtype.kind == "f":
            arrays.append(rng.standard_normal(shape).astype(dtype))
        elif dtype.kind == "b":
            arrays.append(rng.integers(0, 2, shape).astype(bool))
        elif dtype.kind in "iu":
            arrays.append(rng.integers(0, 4, shape).astype(dtype))
        else:
            raise PorterError(f"input {vi.name!r}: cannot generate random values of dtype {dtype}")
    return arrays


def compare(actual: list[np.ndarray], expected: list[np.ndarray], names: list[str]) -> list[dict]:
    rows = []
    for name, a, e in zip(names, actual, expected):
        a64 = np.asarray(a).astype(np.float64)
        e64 = np.asarray(e).astype(np.float64)
        tol = tolerance_for(np.asarray(e).dtype.name)
        same_shape = a64.shape == e64.shape
        if same_shape and a64.size:
            with np.errstate(all="ignore"):
                diff = np.abs(a64 - e64)
                max_abs = float(np.nanmax(diff)) if not np.all(np.isnan(diff)) else 0.0
                max_rel = float(np.nanmax(diff / np.maximum(np.abs(e64), 1e-12))) if not np.all(np.isnan(diff)) else 0.0
            nan_ok = bool(np.array_equal(np.isnan(a64), np.isnan(e64)))
            passed = nan_ok and bool(np.allclose(a64, e64, rtol=tol.rtol, atol=tol.atol, equal_nan=True))
        else:
            max_abs = max_rel = 0.0 if same_shape else float("inf")
            passed = same_shape
        rows.append(
            {
                "name": name,
                "shape": list(np.asarray(a).shape),
                "expected_shape": list(np.asarray(e).shape),
                "dtype": str(np.asarray(a).dtype),
                "expected_dtype": str(np.asarray(e).dtype),
                "max_abs": max_abs,
                "max_rel": max_rel,
                "rtol": tol.rtol,
                "atol": tol.atol,
                "passed": passed and str(np.asarray(a).dtype) == str(np.asarray(e).dtype),
            }
        )
    return rows


def _run(args: list[str], what: str, timeout: float = DEFAULT_TIMEOUT) -> str | None:
    """Run one side in its own process; None on success, else why it failed (crash, signal, timeout)."""
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "porter.validators.runners", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=dict(os.environ),
        )
    except subprocess.TimeoutExpired:
        return f"{what} did not finish within {timeout:.0f}s"
    if proc.returncode == 0:
        return None
    if proc.returncode < 0:
        import signal

        return f"{what} was killed by {signal.Signals(-proc.returncode).name}"
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or [f"exit code {proc.returncode}"]
    return f"{what} failed: {tail[0]}"


def export_static(out_dir, model: onnx.ModelProto, target: str, seed: int = 0) -> dict:
    """Write the target's static export inside out_dir (in a worker) and check it against model.py."""
    import json

    with tempfile.TemporaryDirectory(prefix="porter-export-") as tmp:
        inputs_path = Path(tmp) / "inputs.npz"
        np.savez(inputs_path, **{f"input_{i}": a for i, a in enumerate(random_inputs(model, seed))})
        proc = subprocess.run(
            [sys.executable, "-m", "porter.validators.runners", "export", target, str(out_dir), str(inputs_path)],
            capture_output=True,
            text=True,
            timeout=DEFAULT_TIMEOUT,
        )
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        raise PorterError(f"static export for {target} failed: {lines[-1] if lines else proc.returncode}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def check_parity(out_dir, source, target: str = "paddle", seed: int = 0, device: str = "cpu") -> dict:
    """Run OUT's model and onnxruntime on the same random inputs; return the comparison report."""
    model = load_onnx(source)
    names = [o.name for o in model.graph.output]
    with tempfile.TemporaryDirectory(prefix="porter-parity-") as tmp:
        tmp_path = Path(tmp)
        model_path = tmp_path / "model.onnx"
        onnx.save(model, model_path)
        inputs = random_inputs(model, seed)
        np.savez(tmp_path / "inputs.npz", **{f"input_{i}": a for i, a in enumerate(inputs)})
        problem = _run(
            ["onnxruntime", str(model_path), str(tmp_path / "inputs.npz"), str(tmp_path / "ref.npz")], "onnxruntime"
        )
        if problem:  # the reference itself failing is not a verdict on the port
            raise PorterError(problem)
        crash = _run(
            ["target", target, str(out_dir), str(tmp_path / "inputs.npz"), str(tmp_path / "out.npz"), device],
            f"the generated {target} model",
        )
        if crash:  # a crash or hang of the port is a failed verdict (exit 1), not a porter error
            return {
                "target": target,
                "device": device,
                "seed": seed,
                "outputs": [],
                "passed": False,
                "crashed": crash,
                "rtol": None,
                "atol": None,
            }
        with (
            np.load(tmp_path / "ref.npz", allow_pickle=False) as r,
            np.load(tmp_path / "out.npz", allow_pickle=False) as o,
        ):
            expected = [r[f"output_{i}"] for i in range(len(r.files))]
            actual = [o[f"output_{i}"] for i in range(len(o.files))]
    rows = compare(actual, expected, names)
    if len(actual) != len(expected):
        rows.append({"name": "<outputs>", "max_abs": float("inf"), "max_rel": float("inf"), "passed": False})
    tol = tolerance_for(rows[0]["expected_dtype"]) if rows and "expected_dtype" in rows[0] else None
    return {
        "target": target,
        "device": device,
        "seed": seed,
        "outputs": rows,
        "passed": all(r["passed"] for r in rows),
        "rtol": tol.rtol if tol else None,
        "atol": tol.atol if tol else None,
    }
