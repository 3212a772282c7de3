"""Losses for MindSpore: SoftmaxCrossEntropyLoss and NegativeLogLikelihoodLoss (reduction none/sum/mean,
ignore_index, class weights), written out so ignore_index and weighted means follow ONNX exactly."""

from porter.op_maps.mindspore._registry import op
from porter.semantics_loss import Loss, loss_inputs

_NLL = """
def _nll_loss(log_prob, target, weight, ignore_index, reduction):
    # -log_prob[n, target[n, ...], ...] * weight[target]; ignored targets count 0; the mean divides by
    # the total weight of the targets that count.
    target = target.astype(mindspore.int64)
    valid = ops.ones_like(target).astype(mindspore.bool_) if ignore_index is None else target != ignore_index
    safe = ops.where(valid, target, ops.zeros_like(target))
    picked = -ops.gather_elements(log_prob, 1, ops.expand_dims(safe, 1)).squeeze(1)
    w = ops.ones_like(picked) if weight is None else ops.reshape(ops.gather(weight, safe.reshape(-1), 0), safe.shape)
    w = w * valid.astype(w.dtype)
    loss = picked * w
    if reduction == 'none':
        return loss
    if reduction == 'sum':
        return loss.sum()
    return loss.sum() / w.sum()
"""

_DTYPES = {"float32", "float64", "float16"}


def _loss(n) -> Loss:
    return loss_inputs(n, lambda v: f"ops.cast({v}, mindspore.float32)")  # float16: computed in float32


def _narrow(n, expr: str, loss: Loss) -> str:
    return f"ops.cast({expr}, {n.dtype(loss.restore)})" if loss.restore else expr


@op("NegativeLogLikelihoodLoss", dtypes=_DTYPES)
def nll_loss(n):
    """weighted -log_prob at the target class, reduced"""
    loss = _loss(n)
    return _narrow(n, loss.nll(n, n.helper("_nll_loss", _NLL), loss.x), loss)


@op("SoftmaxCrossEntropyLoss", dtypes=_DTYPES)
def softmax_cross_entropy_loss(n):
    """log-softmax over the class axis, then the NLL loss (optionally returning log_prob)"""
    loss = _loss(n)
    helper = n.helper("_nll_loss", _NLL)
    shifted, log_prob = n.tmp("shifted"), n.tmp("log_prob")
    n.stmt(f"{shifted} = {loss.x} - ops.amax({loss.x}, axis=1, keepdims=True)")
    n.stmt(f"{log_prob} = {shifted} - ops.log(ops.sum(ops.exp({shifted}), dim=1, keepdim=True))")
    value = _narrow(n, loss.nll(n, helper, log_prob), loss)
    return [value, _narrow(n, log_prob, loss)] if n.has_output(1) else [value]
