"""Matrix products for MindSpore: Gemm (nn.Dense for constant weights, whose [out, in] layout is ONNX's
transB=1 layout) and MatMul."""

import numpy as np

from porter.op_maps.mindspore._registry import op


@op("Gemm", dtypes={"float32", "float16", "float64"})
def gemm(n):
    """alpha * A' @ B' + beta * C; nn.Dense when B is a constant weight"""
    alpha = float(n.attr("alpha", 1.0))
    beta = float(n.attr("beta", 1.0))
    trans_a = int(n.attr("transA", 0))
    trans_b = int(n.attr("transB", 0))
    if n.since < 7:
        n.attr("broadcast", 0)
    weight, bias = n.const(1), (n.const(2) if n.has_input(2) else None)
    a = f"ops.transpose({n.x(0)}, (1, 0))" if trans_a else n.x(0)
    out_features = None if weight is None else (weight.shape[0] if trans_b else weight.shape[1])
    if (
        weight is not None
        and weight.dtype.name in ("float32", "float64")
        and alpha == 1.0
        and (not n.has_input(2) or (bias is not None and beta == 1.0 and bias.shape == (out_features,)))
    ):
        w = weight if trans_b else np.ascontiguousarray(weight.T)  # Dense's weight is [out, in]
        params, names = {"weight": w}, {"weight": n.input_source_name(1) or "weight"}
        if bias is not None:
            params["bias"] = bias
            names["bias"] = n.input_source_name(2) or "bias"
        ctor = (
            f"nn.Dense({w.shape[1]}, {w.shape[0]}, has_bias={bias is not None}, weight_init='zeros', bias_init='zeros')"
        )
        layer = n.layer(n.layer_hint(1), ctor, params, names, {} if trans_b else {"weight": "transpose"})
        return f"{layer}({a})"
    b = f"ops.transpose({n.x(1)}, (1, 0))" if trans_b else n.x(1)
    product = f"ops.matmul({a}, {b})"
    if alpha != 1.0:
        product = f"{product} * {alpha!r}"
    if not n.has_input(2):
        return product
    c = n.x(2) if beta == 1.0 else f"{n.x(2)} * {beta!r}"
    return f"{product} + {c}"


@op("MatMul", dtypes={"float32", "float16", "float64"})
def matmul(n):
    """ops.matmul (numpy semantics), or nn.Dense for a constant 2-D float32 weight (with the bias the next
    Add adds, when that is torch's Linear split in two)"""
    weight = n.const(1)
    if weight is not None and weight.dtype.name == "float32" and weight.ndim == 2 and n.in_rank(0) not in (None, 1):
        params = {"weight": np.ascontiguousarray(weight.T)}  # Dense's weight is [out, in]
        names = {"weight": n.input_source_name(1) or "weight"}
        fused = n.fused_bias()
        if fused is not None:
            params["bias"], names["bias"] = fused[0], fused[1] or "bias"
        ctor = (
            f"nn.Dense({weight.shape[0]}, {weight.shape[1]}, has_bias={fused is not None}, "
            "weight_init='zeros', bias_init='zeros')"
        )
        layer = n.layer(n.layer_hint(1), ctor, params, names, {"weight": "transpose"})
        return f"{layer}({n.x(0)})"
    if n.in_dtype(0) == "float16":
        n.warn(
            "float16 under GRAPH_MODE: MindSpore's fused kernels keep float32 intermediates; results can "
            "differ from op-by-op float16 by one or two units in the last place (docs/known-deviations.md)"
        )
    return f"ops.matmul({n.x(0)}, {n.x(1)})"
