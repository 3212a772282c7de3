"""The target-neutral reading of the indexing ops (op_maps/<target>/index.py): attribute defaults, version
rules and refusals."""

from __future__ import annotations

from porter.semantics import unsorted_top_k

REDUCTIONS = ("none", "add", "mul", "min", "max")


def scatter_reduction(n) -> str:
    """ScatterElements / ScatterND's reduction (opset 16 on; none before)."""
    reduction = n.attr("reduction", "none") if n.since >= 16 else "none"
    if reduction not in REDUCTIONS:
        n.refuse(f"reduction={reduction!r} is not an ONNX value")
    return reduction


def gather_nd_batch_dims(n) -> int:
    """GatherND's batch_dims (opset 12 on; 0 before)."""
    return int(n.attr("batch_dims", 0)) if n.since >= 12 else 0


def top_k_order(n) -> tuple[int, bool]:
    """TopK's (axis, largest): largest and sorted from opset 11 (largest, sorted before); an unsorted TopK
    comes back sorted, one of the orders ONNX allows (warned)."""
    axis = int(n.attr("axis", -1))
    largest = bool(n.attr("largest", 1)) if n.since >= 11 else True
    if n.since >= 11 and not n.attr("sorted", 1):
        unsorted_top_k(n)
    return axis, largest


def reverse_sequence_axes(n) -> tuple[int, int]:
    """ReverseSequence's (batch_axis, time_axis)."""
    return int(n.attr("batch_axis", 1)), int(n.attr("time_axis", 0))


def unique_args(n) -> tuple[int | None, bool]:
    """Unique's (axis or None for the flattened input, sorted)."""
    return n.attr("axis", None), bool(n.attr("sorted", 1))


def scalar_index(n) -> str | None:
    """Gather of one constant index (a 0-d indices tensor) is plain indexing, as a hand port writes
    `qkv[0]`: the subscript (`[2]`, `[:, 2]`, `[..., 2]` for an axis counted from the end), or None for any other
    Gather. ONNX's Gather and Python's indexing agree on this case: a negative index counts from the end, an
    index out of range is an error, and the gathered axis disappears."""
    indices = n.const(1)
    if indices is None or indices.ndim != 0 or indices.dtype.kind not in "iu":
        return None
    axis, index = int(n.attr("axis", 0)), int(indices)
    if axis >= 0:
        return "[" + ", ".join([":"] * axis + [str(index)]) + "]"
    return "[" + ", ".join(["...", str(index)] + [":"] * (-axis - 1)) + "]"
