"""Losses: SoftmaxCrossEntropyLoss and NegativeLogLikelihoodLoss (reduction none/sum/mean, ignore_index,
class weights), written out so ignore_index and weighted means follow ONNX exactly."""

from porter.op_maps.paddle._registry import op
from porter.semantics_loss import Loss, loss_inputs

_LOSS_DTYPES = {"float16", "bfloat16", "float32", "float64"}

_NLL = """
def _nll_loss(log_prob, target, weight, ignore_index, reduction):
    # ONNX NegativeLogLikelihoodLoss: -log_prob[n, target[n, ...], ...] * weight[target], ignored
    # targets contribute 0; the mean divides by the total weight of the targets that count.
    target = target.astype('int64')
    valid = paddle.ones_like(target, dtype='bool') if ignore_index is None else target != ignore_index
    safe = paddle.where(valid, target, paddle.zeros_like(target))
    picked = -paddle.take_along_axis(log_prob, safe.unsqueeze(1), axis=1, broadcast=False).squeeze(1)
    w = paddle.ones_like(picked) if weight is None else paddle.reshape(paddle.gather(weight, safe.flatten()), safe.shape)
    w = w * valid.astype(w.dtype)
    loss = picked * w
    if reduction == 'none':
        return loss
    if reduction == 'sum':
        return loss.sum()
    return loss.sum() / w.sum()
"""


def _loss(n) -> Loss:
    # Paddle's CPU log_softmax/gather lack float16 and bfloat16: computed in float32
    return loss_inputs(n, lambda v: f"paddle.cast({v}, 'float32')")


def _narrow(n, expr: str, loss: Loss) -> str:
    return f"paddle.cast({expr}, {n.dtype(loss.restore)})" if loss.restore else expr


@op("NegativeLogLikelihoodLoss", dtypes=_LOSS_DTYPES)
def nll_loss(n):
    """weighted -log_prob at the target class, reduced"""
    loss = _loss(n)
    return _narrow(n, loss.nll(n, n.helper("_nll_loss", _NLL), loss.x), loss)


@op("SoftmaxCrossEntropyLoss", dtypes=_LOSS_DTYPES)
def softmax_cross_entropy_loss(n):
    """log_softmax over the class axis, then the NLL loss (optionally returning log_prob)"""
    loss = _loss(n)
    helper = n.helper("_nll_loss", _NLL)
    log_prob = n.tmp("log_prob")
    n.stmt(f"{log_prob} = nn.functional.log_softmax({loss.x}, axis=1)")
    value = _narrow(n, loss.nll(n, helper, log_prob), loss)
    return [value, _narrow(n, log_prob, loss)] if n.has_output(1) else [value]
