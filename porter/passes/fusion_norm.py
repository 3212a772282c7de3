"""Normalization fusion: the exporter's decomposition of an RMSNorm written back as ONNX RMSNormalization,
so the port calls the framework's own rms_norm.

torch.onnx writes transformers' `weight * (x * rsqrt(mean(x ** 2, -1, keepdim=True) + eps))` as Pow,
ReduceMean, Add, Sqrt, Reciprocal, Mul, Mul. The pattern is checked on the graph (op types, exact
constants, reduction over the last axis only with kept dims, one reader for every intermediate); the
scale must be a 1-D initializer, known by its shape alone (its bytes are never read).
"""

from __future__ import annotations

import numpy as np
import onnx_ir as ir

from porter.passes.matching import FusionPass, axes, constant, is_scalar, operands, scalar, sole
from porter.passes.screen import FUSIONS


class RmsNormPass(FusionPass):
    """scale * (x * 1 / sqrt(mean(x ** 2, last axis) + eps))  ->  RMSNormalization(axis=-1, epsilon=eps)."""

    op_type = "RMSNormalization"
    since = FUSIONS[op_type][0]

    def match(self, node: ir.Node):
        if node.op_type != "Mul":
            return None
        for scale, normed_side in operands(node):
            normed = sole(normed_side, "Mul")
            if normed is None or _rank_of_constant(scale) != 1:
                continue
            for x, inverse in operands(normed):
                found = _inverse_rms(inverse, x)
                if found is not None:
                    eps, group = found
                    attributes = {"axis": -1, "epsilon": float(np.float32(eps))}
                    return [x, scale], attributes, [*group, normed, node]
        return None


def _rank_of_constant(value: ir.Value) -> int | None:
    """The rank of an initializer (from its shape: a weight's bytes stay unread) or a small Constant."""
    if value.const_value is not None:
        return len(value.const_value.shape)
    array = constant(value)
    return None if array is None else array.ndim


def _inverse_rms(value: ir.Value, x: ir.Value) -> tuple[float, list[ir.Node]] | None:
    """1 / sqrt(mean(x ** 2, last axis) + eps): (eps, its nodes)."""
    recip = sole(value, "Reciprocal")
    sqrt = recip and sole(recip.inputs[0], "Sqrt")
    plus = sqrt and sole(sqrt.inputs[0], "Add")
    if plus is None:
        return None
    for mean_side, eps_side in operands(plus):
        eps = scalar(eps_side)
        mean = sole(mean_side, "ReduceMean")
        square = mean and sole(mean.inputs[0], "Pow")
        if eps is None or square is None or square.inputs[0] is not x or not is_scalar(square.inputs[1], 2.0):
            continue
        if _reduces_last_axis_keeping_dims(mean):
            return eps, [square, mean, plus, sqrt, recip]
    return None


def _reduces_last_axis_keeping_dims(mean: ir.Node) -> bool:
    keepdims = mean.attributes.get("keepdims")
    noop = mean.attributes.get("noop_with_empty_axes")
    if (keepdims is not None and keepdims.as_int() != 1) or (noop is not None and noop.as_int() != 0):
        return False
    return axes(mean) == [-1]
