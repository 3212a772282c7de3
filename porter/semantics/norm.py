"""The target-neutral reading of the normalizations (op_maps/<target>/norm.py): attribute defaults, version
rules and refusals. BatchNormalization's lives in porter/semantics.py (batch_norm_for_inference / _training)."""

from __future__ import annotations


def low_precision_stash(n) -> str | None:
    """The dtype to cast back to where the statistics are computed in float32 (stash_type=1, the only value
    ONNX defines, for float16 / bfloat16 inputs), else None."""
    stash = n.attr("stash_type", 1)
    if stash != 1:
        n.refuse(f"stash_type={stash} is not supported (only 1: float32 statistics)")
    dtype = n.in_dtype(0)
    return dtype if dtype in ("float16", "bfloat16") else None


def trailing_norm(n) -> tuple[int, float, str | None]:
    """LayerNormalization / RMSNormalization: (first normalized axis >= 0, epsilon, dtype to restore after
    float32 statistics or None); the input rank must be known."""
    axis = int(n.attr("axis", -1))
    epsilon = float(n.attr("epsilon", 1e-5))
    rank = n.in_rank(0)
    if rank is None:
        n.refuse("input rank must be known")
    restore = low_precision_stash(n)
    return (axis + rank if axis < 0 else axis), epsilon, restore


def instance_norm_epsilon(n) -> float:
    """InstanceNormalization's epsilon (its legacy attribute ignored)."""
    if n.since < 6:
        n.ignore_attr("consumed_inputs", "a legacy memory hint with no numeric effect")
    return float(n.attr("epsilon", 1e-5))


def group_norm_args(n) -> tuple[int, float, str | None]:
    """GroupNormalization's (num_groups, epsilon, dtype to restore after float32 statistics or None); opset 21's
    per-channel scale and bias only."""
    if n.since < 21:
        n.refuse("GroupNormalization-18 (per-group scale and bias) is not supported; re-export at opset 21")
    return int(n.attr("num_groups")), float(n.attr("epsilon", 1e-5)), low_precision_stash(n)


def lrn_args(n) -> tuple[int, float, float, float]:
    """LRN's (size, alpha, beta, bias)."""
    return int(n.attr("size")), float(n.attr("alpha", 0.0001)), float(n.attr("beta", 0.75)), float(n.attr("bias", 1.0))


def lp_norm_args(n) -> tuple[int, int]:
    """LpNormalization's (axis, p); ONNX defines p = 1 and 2."""
    axis, p = int(n.attr("axis", -1)), int(n.attr("p", 2))
    if p not in (1, 2):
        n.refuse(f"p={p}: ONNX defines only p=1 and p=2")
    return axis, p


def mean_variance_axes(n) -> list[int]:
    """MeanVarianceNormalization's axes (default [0, 2, 3])."""
    return [int(a) for a in n.attr("axes", [0, 2, 3])]
