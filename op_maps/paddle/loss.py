"""Losses: SoftmaxCrossEntropyLoss and NegativeLogLikelihoodLoss (reduction none/sum/mean, ignore_index,
class weights), written out so ignore_index and weighted means follow ONNX exactly."""

from porter.op_maps.paddle._registry import op

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


def _common(n):
    reduction = n.attr("reduction", "mean")
    if reduction not in ("none", "sum", "mean"):
        n.refuse(f"reduction={reduction!r} is not an ONNX value")
    ignore_index = n.attr("ignore_index", None)
    weight = n.x(2) if n.has_input(2) else "None"
    dtype = n.in_dtype(0)
    wide = dtype in ("float16", "bfloat16")  # Paddle's CPU log_softmax/gather lack them: compute in float32
    x = n.x(0)
    if wide:
        x = f"paddle.cast({x}, 'float32')"
        weight = weight if weight == "None" else f"paddle.cast({weight}, 'float32')"
    return reduction, ignore_index, weight, dtype, wide, x


def _narrow(n, expr: str, dtype: str, wide: bool) -> str:
    return f"paddle.cast({expr}, {n.dtype(dtype)})" if wide else expr


@op("NegativeLogLikelihoodLoss", dtypes=_LOSS_DTYPES)
def nll_loss(n):
    """weighted -log_prob at the target class, reduced"""
    reduction, ignore_index, weight, dtype, wide, x = _common(n)
    helper = n.helper("_nll_loss", _NLL)
    return _narrow(n, f"{helper}({x}, {n.x(1)}, {weight}, {n.lit(ignore_index)}, {reduction!r})", dtype, wide)


@op("SoftmaxCrossEntropyLoss", dtypes=_LOSS_DTYPES)
def softmax_cross_entropy_loss(n):
    """log_softmax over the class axis, then the NLL loss (optionally returning log_prob)"""
    reduction, ignore_index, weight, dtype, wide, x = _common(n)
    helper = n.helper("_nll_loss", _NLL)
    log_prob = n.tmp("log_prob")
    n.stmt(f"{log_prob} = nn.functional.log_softmax({x}, axis=1)")
    loss = _narrow(n, f"{helper}({log_prob}, {n.x(1)}, {weight}, {n.lit(ignore_index)}, {reduction!r})", dtype, wide)
    if n.has_output(1):
        return [loss, _narrow(n, log_prob, dtype, wide)]
    return [loss]
