"""The target-neutral reading of Gemm (op_maps/<target>/matmul.py): its attributes, when it is a linear layer,
and the scaled sum of the general form."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Gemm:
    alpha: float
    beta: float
    trans_a: bool
    trans_b: bool

    def linear(self, n) -> tuple[np.ndarray, np.ndarray | None] | None:
        """(B, C or None) where the node is a linear layer: B a constant float32/float64 weight, alpha 1, and C
        absent or a constant [out] vector with beta 1; None otherwise."""
        weight = n.const(1)
        bias = n.const(2) if n.has_input(2) else None
        if weight is None or weight.dtype.name not in ("float32", "float64") or self.alpha != 1.0:
            return None
        out = weight.shape[0] if self.trans_b else weight.shape[1]
        if n.has_input(2) and not (bias is not None and self.beta == 1.0 and bias.shape == (out,)):
            return None
        return weight, bias

    def scaled_sum(self, n, product: str) -> str:
        """alpha * product + beta * C, where product is A' @ B'."""
        if self.alpha != 1.0:
            product = f"{product} * {self.alpha!r}"
        if not n.has_input(2):
            return product
        c = n.x(2) if self.beta == 1.0 else f"{n.x(2)} * {self.beta!r}"
        return f"{product} + {c}"


def gemm_args(n) -> Gemm:
    """Gemm's attributes (the legacy broadcast flag read: numpy broadcasting of C covers it)."""
    if n.since < 7:
        n.attr("broadcast", 0)
    return Gemm(
        float(n.attr("alpha", 1.0)),
        float(n.attr("beta", 1.0)),
        bool(int(n.attr("transA", 0))),
        bool(int(n.attr("transB", 0))),
    )
