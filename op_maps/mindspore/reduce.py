"""Reductions for MindSpore: Reduce*, ArgMax/ArgMin, CumSum. Axes must be convert-time constants."""

from porter.op_maps.mindspore._registry import op
from porter.op_maps.mindspore._runtime_values import int_value, int_values
from porter.semantics.reduce import EMPTY_IDENTITY, arg_reduction, cumulative, reduction

_DTYPES = {"float16", "float32", "float64", "int32", "int64"}

_REDUCTIONS = {
    "ReduceSum": "ops.sum({x}, dim={axes}, keepdim={keep})",
    "ReduceMean": "ops.mean({x}, axis={axes}, keep_dims={keep})",
    "ReduceMax": "ops.amax({x}, axis={axes}, keepdims={keep})",
    "ReduceMin": "ops.amin({x}, axis={axes}, keepdims={keep})",
    "ReduceProd": "ops.prod({x}, axis={axes}, keep_dims={keep})",
    "ReduceL1": "ops.sum(ops.abs({x}), dim={axes}, keepdim={keep})",
    "ReduceL2": "ops.sqrt(ops.sum({x} * {x}, dim={axes}, keepdim={keep}))",
    "ReduceLogSum": "ops.log(ops.sum({x}, dim={axes}, keepdim={keep}))",
    "ReduceLogSumExp": "ops.logsumexp({x}, dim={axes}, keepdim={keep})",
    "ReduceSumSquare": "ops.sum({x} * {x}, dim={axes}, keepdim={keep})",
}


def _reduce(op_type: str, template: str):
    # max / min of booleans is any / all: computed in int32 (exact) and cast back
    boolean_ok = op_type in ("ReduceMax", "ReduceMin")

    @op(op_type, dtypes=_DTYPES | ({"bool"} if boolean_ok else set()))
    def emit(n):
        shape = n.in_shape(0)
        empty = shape is not None and any(d == 0 for d in shape)
        if n.in_dtype(0) == "bool":
            if empty:  # the empty-set identity (-inf / inf) has no boolean value in int32
                n.refuse(f"{op_type} of an empty boolean tensor is not mapped for MindSpore")
            return f"{_emit_axes(n, template.replace('{x}', '{x}.astype(mindspore.int32)'))}.astype(mindspore.bool_)"
        return _emit_axes(n, template)

    def _emit_axes(n, template):
        r = reduction(n)
        keep, noop, axes = r.keep, r.noop, r.axes
        shape = n.in_shape(0)
        empty = shape is not None and any(d == 0 for d in shape)
        if r.runtime:
            if empty:
                if op_type not in EMPTY_IDENTITY:
                    n.refuse(f"{op_type} of an empty tensor is undefined")
                helper = n.helper("_reduce_empty", _REDUCE_EMPTY)
                axes_src = int_values(n, 1, "axes")
                return f"{helper}({n.x(0)}, {axes_src}, {keep}, {_identity(EMPTY_IDENTITY[op_type])}, {noop})"
            return _runtime_axes_reduce(n, template, keep, noop)
        if axes is None and noop:
            return n.x(0)
        rank = n.in_rank(0)
        if axes is None:
            if rank is None:
                n.refuse("input rank must be known")
            axes = list(range(rank))
        if empty:
            return _empty_reduction(n, op_type, shape, axes, keep)
        return template.format(x=n.x(0), axes=tuple(int(a) for a in axes), keep=keep)

    emit.__name__ = op_type.lower()
    emit.__doc__ = template.split("(", 1)[0]
    return emit


def _identity(value) -> str:
    """Source of an empty reduction's identity element."""
    return f"float({str(value)!r})" if value in (float("inf"), float("-inf")) else repr(value)


_REDUCE_EMPTY = """
def _reduce_empty(x, axes, keep, identity, noop):
    # reducing zero-length axes (read at run time) gives the identity element
    if not axes and noop:
        return x
    axes = list(range(x.ndim)) if not axes else [a % x.ndim for a in axes]
    shape = [1 if i in axes else d for i, d in enumerate(x.shape)] if keep else [
        d for i, d in enumerate(x.shape) if i not in axes]
    return ops.full(tuple(shape), identity, dtype=x.dtype)
"""


def _empty_reduction(n, op_type: str, shape, axes, keep: bool) -> str:
    """Reducing a zero-length axis gives the identity element; MindSpore's CPU kernels return
    uninitialised memory there (measured), so the result is written as a constant fill."""
    if op_type not in EMPTY_IDENTITY or not all(isinstance(d, int) for d in shape):
        n.refuse(f"{op_type} of an empty tensor is undefined or needs a static shape")
    axes = [a % len(shape) for a in axes]
    out = (
        [1 if i in axes else d for i, d in enumerate(shape)]
        if keep
        else [d for i, d in enumerate(shape) if i not in axes]
    )
    return f"ops.full({tuple(out)!r}, {_identity(EMPTY_IDENTITY[op_type])}, dtype={n.x(0)}.dtype)"


def _runtime_axes_reduce(n, template: str, keep: bool, noop: bool) -> str:
    """Axes given as a run-time tensor (PYNATIVE_MODE only): empty means all axes, or none with noop."""
    axes = int_values(n, 1, "axes")
    all_axes = f"tuple(range({n.x(0)}.ndim))"
    expr = template.format(x=n.x(0), axes=f"({axes} or {all_axes})", keep=keep)
    return f"({n.x(0)} if not {axes} else {expr})" if noop else expr


for _op, _template in _REDUCTIONS.items():
    _reduce(_op, _template)


def _arg(op_type: str, call: str, axis_kw: str, keep_kw: str):
    @op(op_type, dtypes=_DTYPES)
    def emit(n):
        axis, keep, last = arg_reduction(n)
        x = n.x(0)
        if not last:
            return f"{call}({x}, {axis_kw}={axis}, {keep_kw}={keep}).astype(mindspore.int64)"
        flipped = f"ops.flip({x}, dims=({axis},))"
        found = f"{call}({flipped}, {axis_kw}={axis}, {keep_kw}={keep}).astype(mindspore.int64)"
        return f"{x}.shape[{axis}] - 1 - {found}"

    emit.__name__ = op_type.lower()
    emit.__doc__ = call
    return emit


# the two functions name their arguments differently in MindSpore 2.x
argmax = _arg("ArgMax", "ops.argmax", "dim", "keepdim")
argmin = _arg("ArgMin", "ops.argmin", "axis", "keepdims")


@op("CumSum", dtypes={"float32", "float64", "int32", "int64"})
def cumsum(n):
    """ops.cumsum with exclusive / reverse"""
    exclusive, reverse = cumulative(n)
    axis = int_value(n, 1, "the axis")
    x = n.x(0)
    if reverse:
        x = f"ops.flip({x}, dims=({axis},))"
    y = f"ops.cumsum({x}, axis={axis})"
    if exclusive:
        y = f"({y} - {x})"
    if reverse:
        y = f"ops.flip({y}, dims=({axis},))"
    return y


@op("CumProd", dtypes={"float32", "float64", "int32", "int64"})
def cumprod(n):
    """ops.cumprod with exclusive / reverse"""
    exclusive, reverse = cumulative(n)
    axis = int_value(n, 1, "the axis")
    helper = n.helper("_cumprod", _CUMPROD)
    return f"{helper}({n.x(0)}, {axis}, {exclusive}, {reverse})"


_CUMPROD = """
def _cumprod(x, axis, exclusive, reverse):
    if reverse:
        x = ops.flip(x, dims=(axis,))
    y = ops.cumprod(x, axis).astype(x.dtype)
    if exclusive:
        index = [slice(None)] * x.ndim
        index[axis] = slice(0, x.shape[axis] - 1)
        first = ops.ones_like(ops.narrow(y, axis, 0, 1))
        y = ops.concat((first, y[tuple(index)]), axis=axis)
    if reverse:
        y = ops.flip(y, dims=(axis,))
    return y
"""
