"""Reductions: ReduceSum/Mean/Max/Min/Prod/L1/L2/LogSum/LogSumExp/SumSquare, ArgMax/ArgMin, CumSum, CumProd.

Axes are an attribute before opset 13 (ReduceSum) / 18 (the others) and an optional input after;
empty axes reduce everything unless noop_with_empty_axes=1.
"""

from porter.op_maps.paddle._registry import op
from porter.op_maps.paddle.elementwise import WIDEN
from porter.semantics.reduce import EMPTY_IDENTITY, arg_reduction, cumulative, reduction

_REDUCE_DTYPES = {"float16", "bfloat16", "float32", "float64", "int32", "int64", "int8", "int16", "uint8", "bool"}

# ONNX op -> template over {x}, {axes}, {keep}
_REDUCTIONS = {
    "ReduceSum": "paddle.sum({x}, axis={axes}, keepdim={keep})",
    "ReduceMean": "paddle.mean({x}, axis={axes}, keepdim={keep})",
    "ReduceMax": "paddle.max({x}, axis={axes}, keepdim={keep})",
    "ReduceMin": "paddle.min({x}, axis={axes}, keepdim={keep})",
    "ReduceProd": "paddle.prod({x}, axis={axes}, keepdim={keep})",
    "ReduceL1": "paddle.sum(paddle.abs({x}), axis={axes}, keepdim={keep})",
    "ReduceL2": "paddle.sqrt(paddle.sum(paddle.square({x}), axis={axes}, keepdim={keep}))",
    "ReduceLogSum": "paddle.log(paddle.sum({x}, axis={axes}, keepdim={keep}))",
    "ReduceLogSumExp": "paddle.logsumexp({x}, axis={axes}, keepdim={keep})",
    "ReduceSumSquare": "paddle.sum(paddle.square({x}), axis={axes}, keepdim={keep})",
}


def _identity(value) -> str:
    """Source of an empty reduction's identity element (Paddle's kernels differ or fail there)."""
    return {float("-inf"): "-float('inf')", float("inf"): "float('inf')"}.get(value, str(value))


def _reduce(op_type: str, template: str):
    @op(op_type, dtypes=_REDUCE_DTYPES)
    def emit(n):
        r = reduction(n)
        keep, noop = r.keep, r.noop
        x = n.x(0)
        dtype = n.in_dtype(0)
        axes_src = f"{n.x(1)}.tolist() or None" if r.runtime else (None if r.axes is None else n.lit(r.axes))
        if axes_src is None and noop:
            return x
        wide = WIDEN.get(dtype or "")
        if dtype == "bool":
            n.refuse("boolean reductions are not supported")
        src = f"paddle.cast({x}, '{wide}')" if wide else x
        expr = template.format(x=src, axes=axes_src or "None", keep=keep)
        if wide:
            expr = f"paddle.cast({expr}, {n.dtype(dtype)})"
        if noop and axes_src and axes_src.endswith(".tolist() or None"):
            # run-time axes: an empty list means "no reduction" under noop_with_empty_axes
            expr = f"({x} if not {n.x(1)}.tolist() else {expr})"
        shape = n.in_shape(0)
        if shape is not None and any(d == 0 for d in shape):
            if op_type == "ReduceMean":
                n.refuse("the mean of an empty tensor is undefined")
            helper = n.helper("_reduce_empty", _REDUCE_EMPTY)
            return f"{helper}({x}, {axes_src or 'None'}, {keep}, {_identity(EMPTY_IDENTITY[op_type])})"
        return expr

    emit.__name__ = op_type.lower()
    emit.__doc__ = template.replace("{x}", "x").replace("{axes}", "axes").replace("{keep}", "keepdims")
    return emit


_REDUCE_EMPTY = """
def _reduce_empty(x, axes, keep, identity):
    # Reducing over a zero-length axis gives ONNX's identity element for the reduction.
    axes = list(range(x.ndim)) if axes is None else [a % x.ndim for a in axes]
    shape = [1 if i in axes else d for i, d in enumerate(x.shape)] if keep else [d for i, d in enumerate(x.shape) if i not in axes]
    return paddle.full(shape, identity, dtype=x.dtype)
"""

for _op, _template in _REDUCTIONS.items():
    _reduce(_op, _template)


def _arg(op_type: str, call: str):
    @op(op_type, dtypes=_REDUCE_DTYPES - {"bool"})
    def emit(n):
        axis, keep, last = arg_reduction(n)
        x = n.x(0)
        if n.in_dtype(0) in WIDEN:
            x = f"paddle.cast({x}, '{WIDEN[n.in_dtype(0)]}')"
        if not last:
            return f"{call}({x}, axis={axis}, keepdim={keep})"
        # the last occurrence: search the reversed axis, then map the index back
        dim = f"{x}.shape[{axis}]"
        return f"{dim} - 1 - {call}(paddle.flip({x}, axis=[{axis}]), axis={axis}, keepdim={keep})"

    emit.__name__ = op_type.lower()
    emit.__doc__ = call
    return emit


argmax = _arg("ArgMax", "paddle.argmax")
argmin = _arg("ArgMin", "paddle.argmin")


def _cumulative(op_type: str, call: str):
    @op(op_type, dtypes={"float32", "float64", "int32", "int64"})
    def emit(n):
        exclusive, reverse = cumulative(n)
        axis_const = n.const(1)
        axis = str(int(axis_const.item())) if axis_const is not None else f"int({n.x(1)})"
        helper = n.helper(
            f"_{op_type.lower()}",
            _CUMULATIVE.format(name=op_type.lower(), call=call, identity="0" if op_type == "CumSum" else "1"),
        )
        return f"{helper}({n.x(0)}, {axis}, {exclusive}, {reverse})"

    emit.__name__ = op_type.lower()
    emit.__doc__ = call
    return emit


_CUMULATIVE = """
def _{name}(x, axis, exclusive, reverse):
    # ONNX {name}: optional exclusive (shifted by one, identity first) and reverse direction.
    if reverse:
        x = paddle.flip(x, axis=[axis])
    y = paddle.cast({call}(x, axis), x.dtype)
    if exclusive:
        first = paddle.full_like(paddle.slice(y, [axis], [0], [1]), {identity})
        y = paddle.concat([first, paddle.slice(y, [axis], [0], [y.shape[axis] - 1])], axis=axis)
    if reverse:
        y = paddle.flip(y, axis=[axis])
    return y
"""

cumsum = _cumulative("CumSum", "paddle.cumsum")
cumprod = _cumulative("CumProd", "paddle.cumprod")
