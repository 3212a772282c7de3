"""Shared pieces of validation: seeded random inputs, running one side in its own process, and the
check of a static export (`porter convert --export`) against the generated model.

Symbolic dimensions take the size given in `dim_values` (default 2).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import onnx

from porter import launcher
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
        launcher.run(launcher.python_command("porter.validators.runners", *args), what, timeout=timeout)
    except launcher.HelperFailed as exc:
        return str(exc)
    return None


def export_static(out_dir, model: onnx.ModelProto, target: str, seed: int = 0) -> dict:
    """Write the target's static export inside out_dir (in a worker) and check it against model.py."""
    import json

    with tempfile.TemporaryDirectory(prefix="porter-export-") as tmp:
        inputs_path = Path(tmp) / "inputs.npz"
        np.savez(inputs_path, **{f"input_{i}": a for i, a in enumerate(random_inputs(model, seed))})
        argv = launcher.python_command("porter.validators.runners", "export", target, out_dir, inputs_path)
        try:
            proc = launcher.run(argv, f"static export for {target}", timeout=DEFAULT_TIMEOUT)
        except launcher.HelperFailed as exc:
            raise PorterError(str(exc)) from None
    return json.loads(proc.stdout.strip().splitlines()[-1])
