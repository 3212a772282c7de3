"""Normalizations for MindSpore: BatchNormalization (nn.BatchNorm2d, inference statistics) and LRN."""

from porter.op_maps.mindspore._registry import op
from porter.semantics import batch_norm_for_inference


@op("BatchNormalization", dtypes={"float32", "float16"})
def batch_norm(n):
    """nn.BatchNorm1d/2d with use_batch_statistics=False (the running statistics), every argument explicit"""
    epsilon, momentum = batch_norm_for_inference(n)
    consts = [n.const(i) for i in range(1, 5)]
    rank = n.in_rank(0)
    if any(c is None for c in consts) or rank not in (2, 4):
        n.refuse("BatchNormalization with run-time statistics or rank other than 2/4 is not mapped for MindSpore yet")
    scale, bias, mean, var = consts
    layer_type = "BatchNorm2d" if rank == 4 else "BatchNorm1d"
    ctor = (
        f"nn.{layer_type}({scale.shape[0]}, eps={epsilon!r}, momentum={momentum!r}, affine=True, "
        "use_batch_statistics=False)"
    )
    names = {
        k: n.input_source_name(i) or k
        for k, i in (("gamma", 1), ("beta", 2), ("moving_mean", 3), ("moving_variance", 4))
    }
    layer = n.layer(
        n.layer_hint(1), ctor, {"gamma": scale, "beta": bias, "moving_mean": mean, "moving_variance": var}, names
    )
    return f"{layer}({n.x(0)})"


_LRN = """
def _lrn(x, size, alpha, beta, bias):
    # ONNX LRN: x / (bias + alpha / size * sum of x^2 over `size` neighbouring channels) ** beta.
    # Written out (ops.lrn fails on CPU for some inputs: "could not execute a primitive").
    channels = x.shape[1]
    before = (size - 1) // 2
    squared = ops.pad(x * x, (0, 0, 0, 0, before, size - 1 - before), mode="constant", value=0.0)
    window = squared[:, 0:channels]
    for k in range(1, size):
        window = window + squared[:, k : k + channels]
    return x / ops.pow(bias + alpha / size * window, beta)
"""


@op("LRN", dtypes={"float32", "float64"})
def lrn(n):
    """the ONNX formula with a channel window sum"""
    size = int(n.attr("size"))
    alpha = float(n.attr("alpha", 0.0001))
    beta = float(n.attr("beta", 0.75))
    bias = float(n.attr("bias", 1.0))
    if n.in_rank(0) != 4:
        n.refuse("LRN is mapped for 4-D NCHW inputs only")
    helper = n.helper("_lrn", _LRN)
    return f"{helper}({n.x(0)}, {size}, {alpha!r}, {beta!r}, {bias!r})"
