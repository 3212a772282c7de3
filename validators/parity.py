"""Shared pieces of validation: seeded random inputs, running one side in its own process, and the
check of a static export (`porter convert --export`) against the generated model.

Symbolic dimensions take the size given in `dim_values` (default 2).
"""

from __future__ import annotations

import subprocess
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


def run_side(args: list[str], what: str, timeout: float = DEFAULT_TIMEOUT) -> str | None:
    """Run one side in its own process; None on success, else why it failed (crash, signal, timeout)."""
    try:
        launcher.run(launcher.python_command("porter.validators.runners", *args), what, timeout=timeout)
    except launcher.HelperFailed as exc:
        return str(exc)
    return None


# Symbolic dims are exported as such; the check runs the export at these offsets from the traced size
# (the PyTorch example's, else 2), never at the traced shape itself.
EXPORT_CHECK_OFFSETS = (1, 3)


def export_check_inputs(model: onnx.ModelProto, seed: int = 0, example_shapes=None) -> list[list[np.ndarray]]:
    """Input sets for checking a static export: each symbolic dim at two sizes other than the traced one
    (distinct per dim, so a confused axis shows); one set when every dim is static."""
    initializers = {i.name for i in model.graph.initializer}
    graph_inputs = [vi for vi in model.graph.input if vi.name not in initializers]
    traced: dict[str, int] = {}
    for vi, shape in zip(graph_inputs, example_shapes or []):
        for d, size in zip(vi.type.tensor_type.shape.dim, shape):
            if not d.HasField("dim_value") and d.dim_param:
                traced.setdefault(d.dim_param, int(size))
    symbolic = sorted(
        {d.dim_param for vi in graph_inputs for d in vi.type.tensor_type.shape.dim if not d.HasField("dim_value")}
    )
    offsets = EXPORT_CHECK_OFFSETS if symbolic else EXPORT_CHECK_OFFSETS[:1]
    return [
        random_inputs(model, seed + i, {name: traced.get(name, 2) + offset + k for k, name in enumerate(symbolic)})
        for i, offset in enumerate(offsets)
    ]


def export_static(out_dir, model: onnx.ModelProto, target: str, seed: int = 0, example_shapes=None) -> dict:
    """Write the target's static export inside out_dir (in a worker) and check it against model.py at two
    shapes other than the traced one. The worker runs in a temporary directory: compilers' dumps
    (MindSpore's rank_0/...) land there, never in the user's working directory."""
    import json

    out_dir = Path(out_dir).resolve()
    with tempfile.TemporaryDirectory(prefix="porter-export-") as tmp:
        paths = []
        for j, arrays in enumerate(export_check_inputs(model, seed, example_shapes)):
            paths.append(str(Path(tmp) / f"inputs_{j}.npz"))
            np.savez(paths[-1], **{f"input_{i}": a for i, a in enumerate(arrays)})
        # the launcher's isolated interpreter and environment; the worker reports its own errors as JSON
        argv = launcher.python_command("porter.validators.runners", "export", target, out_dir, *paths)
        try:
            proc = subprocess.run(
                argv,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=DEFAULT_TIMEOUT,
                cwd=tmp,
                env=launcher.child_env(),
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise PorterError(f"static export for {target} did not finish within {DEFAULT_TIMEOUT:.0f}s") from None
    last = (proc.stdout.strip().splitlines() or [""])[-1]
    try:
        result = json.loads(last)
    except ValueError:
        result = None
    if proc.returncode != 0 or not isinstance(result, dict) or "error" in result:
        if isinstance(result, dict) and "error" in result:
            cause = result["error"]
        else:
            lines = (proc.stderr or proc.stdout).strip().splitlines()
            cause = lines[-1] if lines else f"exit code {proc.returncode}"
        raise PorterError(f"static export for {target} failed: {cause}")
    bad = [c for c in result["checks"] if not c["passed"]]
    if bad:
        raise PorterError(f"static export for {target} differs from model.py: {'; '.join(result['deviations'])}")
    return result
