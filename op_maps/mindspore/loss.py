"""Losses for MindSpore: SoftmaxCrossEntropyLoss and NegativeLogLikelihoodLoss (reduction none/sum/mean,
ignore_index, class weights), written out so ignore_index and weighted means follow ONNX exactly."""

from porter.op_maps.mindspore._registry import op
from porter.semantics.loss import NLL_REDUCTION, register_losses

_NLL = (
    """
def _nll_loss(log_prob, target, weight, ignore_index, reduction):
    # -log_prob[n, target[n, ...], ...] * weight[target]; ignored targets count 0; the mean divides by
    # the total weight of the targets that count.
    target = target.astype(mindspore.int64)
    valid = ops.ones_like(target).astype(mindspore.bool_) if ignore_index is None else target != ignore_index
    safe = ops.where(valid, target, ops.zeros_like(target))
    picked = -ops.gather_elements(log_prob, 1, ops.expand_dims(safe, 1)).squeeze(1)
    w = ops.ones_like(picked) if weight is None else ops.reshape(ops.gather(weight, safe.reshape(-1), 0), safe.shape)
"""
    + NLL_REDUCTION
)


def _log_softmax(n, x: str) -> str:
    shifted, log_prob = n.tmp("shifted"), n.tmp("log_prob")
    n.stmt(f"{shifted} = {x} - ops.amax({x}, axis=1, keepdims=True)")
    n.stmt(f"{log_prob} = {shifted} - ops.log(ops.sum(ops.exp({shifted}), dim=1, keepdim=True))")
    return log_prob


register_losses(
    op,
    __name__,
    dtypes={"float32", "float64", "float16"},  # float16 computed in float32
    nll_source=_NLL,
    cast=lambda expr, dtype: f"ops.cast({expr}, {dtype})",
    log_softmax=_log_softmax,
)
