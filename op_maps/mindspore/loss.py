"""Losses for MindSpore: SoftmaxCrossEntropyLoss and NegativeLogLikelihoodLoss (reduction none/sum/mean,
ignore_index, class weights), written out so ignore_index and weighted means follow ONNX exactly."""

from porter.op_maps.mindspore._registry import op

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


def _common(n):
    reduction = n.attr("reduction", "mean")
    if reduction not in ("none", "sum", "mean"):
        n.refuse(f"reduction={reduction!r} is not an ONNX value")
    ignore_index = n.attr("ignore_index", None)
    weight = n.x(2) if n.has_input(2) else "None"
    dtype = n.in_dtype(0)
    x = n.x(0)
    if dtype == "float16":  # computed in float32, rounded back
        x = f"ops.cast({x}, mindspore.float32)"
        weight = weight if weight == "None" else f"ops.cast({weight}, mindspore.float32)"
    return reduction, ignore_index, weight, dtype, x


def _narrow(n, expr: str, dtype: str) -> str:
    return f"ops.cast({expr}, {n.dtype(dtype)})" if dtype == "float16" else expr


@op("NegativeLogLikelihoodLoss", dtypes=_DTYPES)
def nll_loss(n):
    """weighted -log_prob at the target class, reduced"""
    reduction, ignore_index, weight, dtype, x = _common(n)
    helper = n.helper("_nll_loss", _NLL)
    return _narrow(n, f"{helper}({x}, {n.x(1)}, {weight}, {n.lit(ignore_index)}, {reduction!r})", dtype)


@op("SoftmaxCrossEntropyLoss", dtypes=_DTYPES)
def softmax_cross_entropy_loss(n):
    """log-softmax over the class axis, then the NLL loss (optionally returning log_prob)"""
    reduction, ignore_index, weight, dtype, x = _common(n)
    helper = n.helper("_nll_loss", _NLL)
    shifted, log_prob = n.tmp("shifted"), n.tmp("log_prob")
    n.stmt(f"{shifted} = {x} - ops.amax({x}, axis=1, keepdims=True)")
    n.stmt(f"{log_prob} = {shifted} - ops.log(ops.sum(ops.exp({shifted}), dim=1, keepdim=True))")
    loss = _narrow(n, f"{helper}({log_prob}, {n.x(1)}, {weight}, {n.lit(ignore_index)}, {reduction!r})", dtype)
    return [loss, _narrow(n, log_prob, dtype)] if n.has_output(1) else [loss]
