"""Losses: SoftmaxCrossEntropyLoss and NegativeLogLikelihoodLoss (reduction none/sum/mean, ignore_index,
class weights), written out so ignore_index and weighted means follow ONNX exactly."""

from porter.op_maps.paddle._registry import op
from porter.semantics.loss import NLL_REDUCTION, register_losses

_NLL = (
    """
def _nll_loss(log_prob, target, weight, ignore_index, reduction):
    # ONNX NegativeLogLikelihoodLoss: -log_prob[n, target[n, ...], ...] * weight[target], ignored
    # targets contribute 0; the mean divides by the total weight of the targets that count.
    target = target.astype('int64')
    valid = paddle.ones_like(target, dtype='bool') if ignore_index is None else target != ignore_index
    safe = paddle.where(valid, target, paddle.zeros_like(target))
    picked = -paddle.take_along_axis(log_prob, safe.unsqueeze(1), axis=1, broadcast=False).squeeze(1)
    w = paddle.ones_like(picked) if weight is None else paddle.reshape(paddle.gather(weight, safe.flatten()), safe.shape)
"""
    + NLL_REDUCTION
)


def _log_softmax(n, x: str) -> str:
    log_prob = n.tmp("log_prob")
    n.stmt(f"{log_prob} = nn.functional.log_softmax({x}, axis=1)")
    return log_prob


# Paddle's CPU log_softmax/gather lack float16 and bfloat16: computed in float32
register_losses(
    op,
    __name__,
    dtypes={"float16", "bfloat16", "float32", "float64"},
    nll_source=_NLL,
    cast=lambda expr, dtype: f"paddle.cast({expr}, {dtype})",
    log_softmax=_log_softmax,
)
