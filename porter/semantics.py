"""ONNX attribute semantics that every target shares (pure arithmetic on attributes and shapes)."""

from __future__ import annotations


def spatial_params(n, kernel: list[int], spatial_shape):
    """(strides, dilations, pads as [begin..., end...]) with auto_pad resolved."""
    rank = len(kernel)
    strides = list(n.attr("strides", [1] * rank))
    dilations = list(n.attr("dilations", [1] * rank))
    auto_pad = n.attr("auto_pad", "NOTSET")
    pads = list(n.attr("pads", [0] * (2 * rank)))
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        if spatial_shape is None or not all(isinstance(d, int) for d in spatial_shape):
            n.refuse(f"auto_pad={auto_pad} needs static spatial input dims")
        pads = [0] * (2 * rank)
        for i, (size, k, s, d) in enumerate(zip(spatial_shape, kernel, strides, dilations)):
            out = -(-size // s)
            total = max(0, (out - 1) * s + (k - 1) * d + 1 - size)
            small, big = total // 2, total - total // 2
            pads[i], pads[i + rank] = (small, big) if auto_pad == "SAME_UPPER" else (big, small)
    elif auto_pad == "VALID":
        pads = [0] * (2 * rank)
    elif auto_pad != "NOTSET":
        n.refuse(f"auto_pad={auto_pad!r} is not an ONNX value")
    return strides, dilations, pads


def pooled_sizes_ceil(spatial, kernel, strides, begin, end) -> list[int]:
    """Output sizes of a ceil_mode pool: a last window may not start in the end padding (ONNX rule)."""
    sizes = []
    for size, k, st, b, e in zip(spatial, kernel, strides, begin, end):
        out = -(-(size + b + e - k) // st) + 1
        if (out - 1) * st >= size + b:
            out -= 1
        sizes.append(out)
    return sizes
