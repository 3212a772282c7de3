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


def comment_text(text: str, limit: int = 120) -> str:
    """Text safe to place after '#': one line, printable ASCII, bounded."""
    flat = "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in str(text))
    return flat[:limit]
