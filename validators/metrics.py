"""Error metrics between a candidate output and a reference, computed in float64.

Cosine similarity alone hides errors (a uniformly scaled output has cosine 1), so every comparison
reports the whole set: max abs, max rel, mean abs, cosine, ULP distance (in the candidate's dtype),
error bias (mean signed error over mean absolute error: +-1 means the error is one-sided, a rounding
or accumulation bias rather than noise) and the NaN/inf pattern.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass
class Metrics:
    shape_ok: bool
    dtype: str
    numel: int
    max_abs: float
    max_rel: float
    mean_abs: float
    cosine: float
    max_ulp: float
    error_bias: float
    nan_mismatch: int  # positions where exactly one side is NaN
    inf_mismatch: int  # positions where the infinities differ

    def to_dict(self) -> dict:
        return asdict(self)


def ulp_distance(candidate: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Distance in units in the last place of the candidate's float dtype (float32 for integers)."""
    dtype = candidate.dtype if candidate.dtype.kind == "f" else np.dtype(np.float32)
    if dtype.name == "bfloat16":
        dtype = np.dtype(np.float32)
    ref = reference.astype(dtype).astype(np.float64)
    spacing = np.spacing(np.abs(reference.astype(dtype))).astype(np.float64)
    spacing = np.where(spacing == 0, np.finfo(dtype).tiny, spacing)
    return np.abs(candidate.astype(np.float64) - ref) / spacing


def compare(candidate, reference) -> Metrics:
    with np.errstate(all="ignore"):  # huge and tiny values are data here, not accidents
        return _compare(candidate, reference)


def _compare(candidate, reference) -> Metrics:
    c = np.asarray(candidate)
    r = np.asarray(reference)
    if c.shape != r.shape:
        return Metrics(
            False, str(c.dtype), int(c.size), float("inf"), float("inf"), float("inf"), 0.0, float("inf"), 0.0, 0, 0
        )
    c64, r64 = c.astype(np.float64), r.astype(np.float64)
    nan_mismatch = int(np.sum(np.isnan(c64) != np.isnan(r64)))
    inf_mismatch = int(np.sum((np.isinf(c64) | np.isinf(r64)) & (c64 != r64) & ~np.isnan(c64) & ~np.isnan(r64)))
    finite = np.isfinite(c64) & np.isfinite(r64)
    if not finite.any():
        return Metrics(True, str(c.dtype), int(c.size), 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, nan_mismatch, inf_mismatch)
    diff = c64[finite] - r64[finite]
    abs_diff = np.abs(diff)
    ref_abs = np.abs(r64[finite])
    mean_abs = float(abs_diff.mean())
    norm = float(np.linalg.norm(c64[finite]) * np.linalg.norm(r64[finite]))
    cosine = (
        float(np.clip(np.dot(c64[finite], r64[finite]) / norm, -1.0, 1.0)) if norm > 0 else float(not abs_diff.any())
    )
    return Metrics(
        shape_ok=True,
        dtype=str(c.dtype),
        numel=int(c.size),
        max_abs=float(abs_diff.max()),
        max_rel=float((abs_diff / np.maximum(ref_abs, np.finfo(np.float64).tiny)).max()),
        mean_abs=mean_abs,
        cosine=cosine,
        max_ulp=float(ulp_distance(c[finite], r[finite]).max()),
        error_bias=float(diff.mean() / mean_abs) if mean_abs > 0 else 0.0,
        nan_mismatch=nan_mismatch,
        inf_mismatch=inf_mismatch,
    )


# The small constant CANN's precision standards add to |golden| so relative errors near zero stay finite.
RELATIVE_FLOOR = 1e-7


def golden_errors(candidate, golden) -> dict:
    """Error of one side against the fp64 golden: MARE, MERE (max/mean relative) and RMSE, finite elements."""
    c = np.asarray(candidate).astype(np.float64)
    g = np.asarray(golden).astype(np.float64)
    finite = np.isfinite(c) & np.isfinite(g)
    if c.shape != g.shape or not finite.any():
        return {"mare": 0.0, "mere": 0.0, "rmse": 0.0}
    diff = np.abs(c[finite] - g[finite])
    rel = diff / (np.abs(g[finite]) + RELATIVE_FLOOR)
    return {"mare": float(rel.max()), "mere": float(rel.mean()), "rmse": float(np.sqrt(np.mean(diff**2)))}
