"""Python literals for values taken from a model: always repr-based, never string concatenation."""

from __future__ import annotations

import math

import numpy as np


def py_literal(value) -> str:
    """Source text for a value (numbers, strings, bools, None, lists/tuples/ndarrays of them)."""
    if isinstance(value, np.ndarray):
        return py_literal(value.tolist())
    if isinstance(value, np.generic):
        return py_literal(value.item())
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        return repr(int(value))
    if isinstance(value, float):
        if math.isnan(value):
            return 'float("nan")'
        if math.isinf(value):
            return 'float("inf")' if value > 0 else '-float("inf")'
        return repr(float(value))
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bytes):
        return repr(value)
    if isinstance(value, list | tuple):
        inner = ", ".join(py_literal(v) for v in value)
        if isinstance(value, tuple):
            return f"({inner},)" if len(value) == 1 else f"({inner})"
        return f"[{inner}]"
    raise TypeError(f"no literal form for {type(value).__name__}")


def array_literal(array: np.ndarray) -> str:
    """Nested-list literal of an array; floats in the shortest form that round-trips in their dtype."""
    array = np.asarray(array)
    if array.dtype.kind != "f" or array.dtype.itemsize > 8:
        return py_literal(array.tolist() if array.ndim else array.item())
    if array.ndim == 0:
        return _float_literal(array[()])
    return "[" + ", ".join(array_literal(sub) for sub in array) + "]"


def _float_literal(value: np.floating) -> str:
    if np.isnan(value):
        return 'float("nan")'
    if np.isinf(value):
        return 'float("inf")' if value > 0 else '-float("inf")'
    text = (
        np.format_float_positional(value, unique=True, trim="0")
        if 1e-4 <= abs(value) < 1e16 or value == 0
        else (np.format_float_scientific(value, unique=True, trim="0"))
    )
    return text if any(c in text for c in ".en") else f"{text}.0"


def comment_text(text: str, limit: int = 120) -> str:
    """Text safe to place after '#': one line, printable ASCII, bounded."""
    flat = "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in str(text))
    return flat[:limit]
