"""The target-neutral reading of the losses (op_maps/<target>/loss.py): reduction, ignore_index, the optional
class weights, and float16 / bfloat16 computed in float32. The targets spell the NLL helper and the
log-softmax."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Loss:
    reduction: str  # none | sum | mean
    ignore_index: int | None
    x: str  # input 0 (scores or log-probabilities), in float32 where `restore` is set
    weight: str  # the class weights' source, "None" when absent
    restore: str | None  # the dtype to cast the results back to, None when computed in the input's dtype

    def nll(self, n, helper: str, log_prob: str) -> str:
        """The call of the target's _nll_loss(log_prob, target, weight, ignore_index, reduction) helper."""
        return f"{helper}({log_prob}, {n.x(1)}, {self.weight}, {n.lit(self.ignore_index)}, {self.reduction!r})"


def loss_inputs(n, to_float32: Callable[[str], str]) -> Loss:
    """SoftmaxCrossEntropyLoss / NegativeLogLikelihoodLoss's reading; `to_float32` spells a cast, applied to the
    scores and weights of a float16 / bfloat16 loss (the targets' CPU kernels lack them)."""
    reduction = n.attr("reduction", "mean")
    if reduction not in ("none", "sum", "mean"):
        n.refuse(f"reduction={reduction!r} is not an ONNX value")
    weight = n.x(2) if n.has_input(2) else "None"
    restore = n.in_dtype(0) if n.in_dtype(0) in ("float16", "bfloat16") else None
    x = n.x(0)
    if restore:
        x = to_float32(x)
        weight = weight if weight == "None" else to_float32(weight)
    return Loss(reduction, n.attr("ignore_index", None), x, weight, restore)
