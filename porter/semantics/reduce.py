"""The target-neutral reading of the reductions (op_maps/<target>/reduce.py): where the axes come from by
opset, keepdims and noop_with_empty_axes, ONNX's identity element of each reduction over an empty set, and
the ArgMax / ArgMin and cumulative attributes."""

from __future__ import annotations

from dataclasses import dataclass

# the opset from which a reduction takes its axes as an optional input instead of an attribute
AXES_INPUT_SINCE = {
    "ReduceSum": 13,
    "ReduceMean": 18,
    "ReduceMax": 18,
    "ReduceMin": 18,
    "ReduceProd": 18,
    "ReduceL1": 18,
    "ReduceL2": 18,
    "ReduceLogSum": 18,
    "ReduceLogSumExp": 18,
    "ReduceSumSquare": 18,
}

# ONNX's identity element of each reduction over an empty set (ReduceMean's is undefined)
EMPTY_IDENTITY = {
    "ReduceSum": 0,
    "ReduceL1": 0,
    "ReduceL2": 0,
    "ReduceSumSquare": 0,
    "ReduceProd": 1,
    "ReduceLogSum": float("-inf"),
    "ReduceLogSumExp": float("-inf"),
    "ReduceMax": float("-inf"),
    "ReduceMin": float("inf"),
}


@dataclass(frozen=True)
class Reduction:
    keep: bool  # keepdims
    noop: bool  # noop_with_empty_axes: no axes means no reduction (else every axis)
    axes: list[int] | None  # the constant axes; None: none given (or given empty as an input)
    runtime: bool  # the axes are an input known only at run time (then `axes` is None)


def reduction(n) -> Reduction:
    """A Reduce* node's axes and flags, by its opset."""
    keep = bool(n.attr("keepdims", 1))
    if n.since < AXES_INPUT_SINCE[n.op_type]:
        axes = n.attr("axes", None)
        return Reduction(keep, False, None if axes is None else [int(a) for a in axes], False)
    noop = bool(n.attr("noop_with_empty_axes", 0))
    if not n.has_input(1):
        return Reduction(keep, noop, None, False)
    const = n.const_list(1)
    if const is None:
        return Reduction(keep, noop, None, True)
    return Reduction(keep, noop, [int(a) for a in const] or None, False)


def arg_reduction(n) -> tuple[int, bool, bool]:
    """ArgMax / ArgMin's (axis, keepdims, select_last_index: opset 12 on)."""
    last = bool(n.attr("select_last_index", 0)) if n.since >= 12 else False
    return int(n.attr("axis", 0)), bool(n.attr("keepdims", 1)), last


def cumulative(n) -> tuple[bool, bool]:
    """CumSum / CumProd's (exclusive, reverse)."""
    return bool(n.attr("exclusive", 0)), bool(n.attr("reverse", 0))
