"""The target-neutral reading of the losses (op_maps/<target>/loss.py): reduction, ignore_index, the optional
class weights, and float16 / bfloat16 computed in float32. The targets spell the NLL helper and the
log-softmax."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from porter.semantics import register_emitter

# The end of every target's _nll_loss helper, in calls both frameworks' tensors have: ignored targets weigh 0,
# and the mean divides by the total weight of the targets that count (ONNX's rule).
NLL_REDUCTION = """    w = w * valid.astype(w.dtype)
    loss = picked * w
    if reduction == 'none':
        return loss
    if reduction == 'sum':
        return loss.sum()
    return loss.sum() / w.sum()
"""


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


def loss_inputs(n, cast: Callable[[str, str], str]) -> Loss:
    """SoftmaxCrossEntropyLoss / NegativeLogLikelihoodLoss's reading; cast(expr, dtype source) spells a cast,
    applied to the scores and weights of a float16 / bfloat16 loss (the targets' CPU kernels lack them)."""
    reduction = n.attr("reduction", "mean")
    if reduction not in ("none", "sum", "mean"):
        n.refuse(f"reduction={reduction!r} is not an ONNX value")
    weight = n.x(2) if n.has_input(2) else "None"
    restore = n.in_dtype(0) if n.in_dtype(0) in ("float16", "bfloat16") else None
    x = n.x(0)
    if restore:
        x = cast(x, n.dtype("float32"))
        weight = weight if weight == "None" else cast(weight, n.dtype("float32"))
    return Loss(reduction, n.attr("ignore_index", None), x, weight, restore)


def register_losses(op, module: str, *, dtypes, nll_source: str, cast, log_softmax) -> None:
    """NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss for a target: `nll_source` is its _nll_loss helper
    (ONNX's weighted, ignore_index-aware NLL), cast(expr, dtype source) its cast, log_softmax(n, x) writes the
    log-probabilities over the class axis and returns their name."""

    def narrow(n, expr: str, loss: Loss) -> str:
        return cast(expr, n.dtype(loss.restore)) if loss.restore else expr

    def nll_loss(n):
        loss = loss_inputs(n, cast)
        return narrow(n, loss.nll(n, n.helper("_nll_loss", nll_source), loss.x), loss)

    def softmax_cross_entropy_loss(n):
        loss = loss_inputs(n, cast)
        helper = n.helper("_nll_loss", nll_source)
        log_prob = log_softmax(n, loss.x)
        value = narrow(n, loss.nll(n, helper, log_prob), loss)
        return [value, narrow(n, log_prob, loss)] if n.has_output(1) else [value]

    register_emitter(
        op, "NegativeLogLikelihoodLoss", nll_loss, name="nll_loss", module=module, dtypes=dtypes,
        doc="weighted -log_prob at the target class, reduced",
    )  # fmt: skip
    register_emitter(
        op, "SoftmaxCrossEntropyLoss", softmax_cross_entropy_loss, name="softmax_cross_entropy_loss", module=module,
        dtypes=dtypes,
        doc="log-softmax over the class axis, then the NLL loss (optionally returning log_prob)",
    )  # fmt: skip
