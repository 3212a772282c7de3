"""Shared pieces of validation: seeded random inputs, running one side in its own process, and the
check of a static export (`porter convert --export`) against the generated model.

Symbolic dimensions take the size given in `dim_values` (default 2).
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
