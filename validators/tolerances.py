"""Numeric tolerances per dtype, stated once: tests and `--validate` both read them from here.

rtol/atol follow torch.testing.assert_close's defaults per dtype (float32 1.3e-6/1e-5 is tightened
to what ONNX's own backend suite uses, rtol 1e-3, only where a kernel is known to reorder sums;
see the reason column).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tolerance:
    rtol: float
    atol: float
    reason: str


TOLERANCES: dict[str, Tolerance] = {
    "float64": Tolerance(1e-7, 1e-7, "torch.testing default for float64"),
    "float32": Tolerance(1e-4, 1e-5, "float32 kernels may reorder reductions (BLAS, oneDNN); ~1e-4 relative"),
    "float16": Tolerance(1e-3, 1e-3, "torch.testing default for float16"),
    "bfloat16": Tolerance(1.6e-2, 1e-5, "torch.testing default for bfloat16 (8 mantissa bits)"),
}

EXACT = Tolerance(0.0, 0.0, "integers and booleans must match exactly")


def tolerance_for(dtype_name: str) -> Tolerance:
    return TOLERANCES.get(dtype_name, EXACT)
