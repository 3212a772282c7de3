"""The target-neutral reading of Conv (op_maps/<target>/conv.py): kernel, strides, dilations, pads (auto_pad
resolved by porter.semantics.spatial_params) and groups, and when the node's parameters make a layer."""

from __future__ import annotations

from porter.semantics import spatial_params


def conv_params(n, w_shape) -> tuple[list[int], list[int], list[int], list[int], int]:
    """(kernel, strides, dilations, pads as [begin..., end...], group) of a Conv with weight shape w_shape."""
    kernel = list(n.attr("kernel_shape", w_shape[2:]))
    in_shape = n.in_shape(0)
    strides, dilations, pads = spatial_params(n, kernel, None if in_shape is None else in_shape[2:])
    return kernel, strides, dilations, pads, int(n.attr("group", 1))


def layer_params(n) -> tuple[dict, dict] | None:
    """({"weight": W, "bias": B}, the names the source gives them) where the weight (input 1) and the bias
    (input 2, if any) are constants, so the node can be the framework's layer; None otherwise."""
    weight, bias = n.const(1), (n.const(2) if n.has_input(2) else None)
    if weight is None or (n.has_input(2) and bias is None):
        return None
    params, names = {"weight": weight}, {"weight": n.input_source_name(1) or "weight"}
    if bias is not None:
        params["bias"], names["bias"] = bias, n.input_source_name(2) or "bias"
    return params, names
