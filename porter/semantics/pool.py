"""The target-neutral reading of the pools (op_maps/<target>/pool.py): the window (kernel, strides, pads with
auto_pad resolved), ceil_mode and count_include_pad by opset, LpPool's p and the global pools' axes."""

from __future__ import annotations

from porter.semantics import spatial_params


def pool_window(n) -> tuple[list[int], list[int], list[int], bool]:
    """(kernel, strides, pads as [begin..., end...], ceil_mode: opset 10 on) of a 1-D to 3-D pool; dilated
    windows are refused (neither target's pooling kernels take dilations)."""
    kernel = list(n.attr("kernel_shape"))
    if len(kernel) not in (1, 2, 3):
        n.refuse(f"{len(kernel)}-D pooling is not supported")
    in_shape = n.in_shape(0)
    strides, dilations, pads = spatial_params(n, kernel, None if in_shape is None else in_shape[2:])
    if any(d != 1 for d in dilations):
        n.refuse(f"dilations={dilations} are not supported (the pooling kernels take none)")
    return kernel, strides, pads, bool(n.attr("ceil_mode", 0)) if n.since >= 10 else False


def counts_padding(n) -> bool:
    """AveragePool's count_include_pad (opset 7 on; padding never counted before)."""
    return bool(n.attr("count_include_pad", 0)) if n.since >= 7 else False


def lp_norm_p(n) -> int | float:
    """LpPool / GlobalLpPool's p: an int from opset 2; their first version's float attribute is kept as a float
    where it is fractional (not truncated)."""
    p = n.attr("p", 2)
    return int(p) if float(p).is_integer() else float(p)


def spatial_axes(n) -> list[int]:
    """The spatial axes a global pool reduces: 2 to rank - 1 (the rank must be known)."""
    rank = n.in_rank(0)
    if rank is None:
        n.refuse("input rank must be known")
    return list(range(2, rank))
