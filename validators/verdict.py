"""One output, one verdict, one sentence saying why.

An output passes when it is within the profile's atol/rtol of the source framework (allowing the
profile's outlier fraction), or, failing that, when its error against the fp64 golden is no worse than
the profile's bound on the source framework's own error against the same golden (MARE, MERE and RMSE
ratios, as in CANN's double-benchmark standard). Integers and booleans must match the source exactly;
shape, dtype and the NaN/inf pattern must always match.

numpy and this package's metrics/profiles only: the offline bundle ships this module as it is.
"""

from __future__ import annotations

import numpy as np

from .metrics import compare, golden_errors
from .profiles import Profile


def _dtype_name(array: np.ndarray) -> str:
    return array.dtype.name


def half_ulp(dtype_name: str) -> float:
    """The best relative rounding error a dtype allows: the floor for the source's own error."""
    eps = {"float64": 2.0**-52, "float32": 2.0**-23, "float16": 2.0**-10, "bfloat16": 2.0**-7}
    return eps.get(dtype_name, 2.0**-23) / 2


def judge(target, source, golden, profile: Profile) -> dict:
    """The verdict for one output: {'passed', 'reason', metrics, golden errors and ratios}."""
    t, s = np.asarray(target), np.asarray(source)
    g = None if golden is None else np.asarray(golden)
    result = {"shape": list(s.shape), "dtype": _dtype_name(s), "target_dtype": _dtype_name(t)}
    if s.size and (s.dtype.kind in "fiub" or s.dtype.name == "bfloat16"):
        finite = s.astype(np.float64)[np.isfinite(s.astype(np.float64))]
        result["source_max_abs"] = float(np.abs(finite).max()) if finite.size else 0.0
    metrics = compare(t, s)
    result["metrics"] = metrics.to_dict()
    if t.shape != s.shape:
        return {**result, "passed": False, "reason": f"shape {list(t.shape)}, the source gives {list(s.shape)}"}
    if _dtype_name(t) != _dtype_name(s):
        return {**result, "passed": False, "reason": f"dtype {t.dtype.name}, the source gives {s.dtype.name}"}
    if metrics.nan_mismatch or metrics.inf_mismatch:
        return {
            **result,
            "passed": False,
            "reason": f"NaN/inf pattern differs from the source ({metrics.nan_mismatch} NaN, "
            f"{metrics.inf_mismatch} inf positions)",
        }
    bounds = profile.bounds(_dtype_name(s))
    if bounds is None:  # integers, booleans: exact
        wrong = int(np.sum(t != s)) if t.size else 0
        reason = "equal to the source" if not wrong else f"{wrong} of {t.size} elements differ from the source"
        return {**result, "passed": not wrong, "reason": reason + " (exact match required for this dtype)"}
    result["bounds"] = bounds.to_dict()
    t64, s64 = t.astype(np.float64), s.astype(np.float64)
    with np.errstate(all="ignore"):
        finite = np.isfinite(t64) & np.isfinite(s64)
        outside = finite & (np.abs(t64 - s64) > bounds.atol + bounds.rtol * np.abs(s64))
    n_out = int(outside.sum())
    allowed = int(np.floor(bounds.outlier_fraction * t.size))
    result["outliers"] = n_out
    close = (
        f"max abs {metrics.max_abs:.3g}, {n_out} of {t.size} elements outside atol={bounds.atol:g} rtol={bounds.rtol:g}"
    )
    if n_out <= allowed:
        why = f"within atol/rtol of the source ({close}; {allowed} allowed)"
        return {**result, "passed": True, "reason": why}
    if g is None or g.shape != s.shape:
        return {**result, "passed": False, "reason": f"{close}, and no fp64 golden to judge against"}
    target_err, source_err = golden_errors(t, g), golden_errors(s, g)
    floor = half_ulp(_dtype_name(s))
    rms_golden = float(np.sqrt(np.mean(np.square(g[np.isfinite(g)].astype(np.float64))))) if g.size else 0.0
    floors = {"mare": floor, "mere": floor, "rmse": floor * max(rms_golden, 1e-30)}
    ratios = {k: target_err[k] / max(source_err[k], floors[k]) for k in bounds.golden_ratio}
    result.update(target_vs_golden=target_err, source_vs_golden=source_err, golden_ratios=ratios)
    over = [k for k, bound in bounds.golden_ratio.items() if ratios[k] > bound]
    shown = ", ".join(f"{k.upper()} {ratios[k]:.3g}x (bound {bounds.golden_ratio[k]:g}x)" for k in bounds.golden_ratio)
    if not over:
        why = f"{close}, but its error against the fp64 golden is no worse than the source's own: {shown}"
        return {**result, "passed": True, "reason": why}
    return {**result, "passed": False, "reason": f"{close}; against the fp64 golden, target/source error: {shown}"}
