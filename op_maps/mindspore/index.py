"""Indexing for MindSpore: GatherElements, GatherND, ScatterElements, Scatter, ScatterND, OneHot, TopK,
NonZero, ReverseSequence, Compress, Unique, TensorScatter.
Negative indices are wrapped in the generated code (MindSpore's kernels do not wrap them)."""

from porter.op_maps import _scatter as tensor_scatter
from porter.op_maps.mindspore._registry import op
from porter.op_maps.mindspore._runtime_values import int_value
from porter.registry import schema_versions
from porter.semantics import vocabulary
from porter.semantics.index import (
    gather_nd_batch_dims,
    reverse_sequence_axes,
    scatter_reduction,
    top_k_order,
    unique_args,
)

_DATA = {"float16", "float32", "float64", "int32", "int64", "bool", "int8", "uint8"}


def _wrapped(n, i: int, dim: str) -> str:
    idx = n.x(i)
    return f"ops.where({idx} < 0, {idx} + {dim}, {idx})"


@op("GatherElements", dtypes=_DATA)
def gather_elements(n):
    """ops.gather_elements"""
    axis = int(n.attr("axis", 0))
    x = n.x(0)
    return f"ops.gather_elements({x}, {axis}, {_wrapped(n, 1, f'{x}.shape[{axis}]')})"


@op("GatherND", dtypes=_DATA)
def gather_nd(n):
    """ops.gather_nd (batch_dims=0)"""
    if gather_nd_batch_dims(n):
        n.refuse("batch_dims > 0 is not mapped for MindSpore yet")
    helper = n.helper("_gather_nd", _GATHER_ND)
    return f"{helper}({n.x(0)}, {n.x(1)})"


_GATHER_ND = """
def _gather_nd(x, indices):
    indices = indices.astype(mindspore.int64)
    depth = indices.shape[-1]
    dims = ops.dyn_shape(x)[:depth]  # a tensor op: GRAPH_MODE keeps dynamic dims symbolic
    return ops.gather_nd(x, ops.where(indices < 0, indices + dims, indices))
"""

_REDUCE = {"none": "update", "add": "add", "mul": "mul", "min": "min", "max": "max"}


@op("ScatterElements", dtypes=_DATA)
def scatter_elements(n):
    """ops.tensor_scatter_elements (none / add)"""
    reduction = scatter_reduction(n)
    if reduction in ("none", "add"):
        return _scatter_along_axis(n, reduction)
    # mul / min / max: each update's full coordinates, reduced by the ScatterND kernels
    axis = int(n.attr("axis", 0))
    x = n.x(0)
    helper = n.helper("_element_coordinates", _ELEMENT_COORDINATES)
    coords = f"{helper}({_wrapped(n, 1, f'{x}.shape[{axis}]')}, {axis})"
    return f"ops.tensor_scatter_{_REDUCE[reduction]}({x}, {coords}, {n.x(2)})"


_ELEMENT_COORDINATES = """
def _element_coordinates(indices, axis):
    # [..., rank] coordinates of every element of `indices`, its value standing in on `axis`
    axis = axis % indices.ndim
    grids = ops.meshgrid(*[ops.arange(d) for d in indices.shape], indexing="ij")
    columns = [indices.astype(mindspore.int64) if i == axis else g.astype(mindspore.int64) for i, g in enumerate(grids)]
    return ops.stack(columns, -1)
"""


def _scatter_along_axis(n, reduction: str) -> str:
    axis = int(n.attr("axis", 0))
    x = n.x(0)
    idx = _wrapped(n, 1, f"{x}.shape[{axis}]")
    return f"ops.tensor_scatter_elements({x}, {idx}, {n.x(2)}, axis={axis}, reduction={reduction!r})"


@op("Scatter", versions=[9, 11], dtypes=_DATA)
def scatter(n):
    """the deprecated Scatter = ScatterElements without reduction"""
    return _scatter_along_axis(n, "none")


@op("ScatterND", dtypes=_DATA)
def scatter_nd(n):
    """ops.tensor_scatter_update / _add / _mul / _min / _max"""
    reduction = scatter_reduction(n)
    return f"ops.tensor_scatter_{_REDUCE[reduction]}({n.x(0)}, {n.x(1)}, {n.x(2)})"


@op("OneHot")
def one_hot(n):
    """values[1] at the (wrapped) index along axis, values[0] elsewhere"""
    axis = int(n.attr("axis", -1))
    rank = n.in_rank(0)
    if rank is None:
        n.refuse("the indices' rank must be known")
    if axis < -1:  # MindSpore's OneHot takes -1 or a non-negative axis
        axis += rank + 1
    if n.in_dtype(2) not in ("float16", "float32", "int32", "int64"):
        n.refuse(f"OneHot values of dtype {n.in_dtype(2)} are not supported by MindSpore's kernel")
    depth = int_value(n, 1, "depth")
    idx = n.x(0)
    values = n.x(2)
    wrapped = f"ops.where({idx} < 0, {idx} + {depth}, {idx}).astype(mindspore.int64)"
    return f"ops.one_hot({wrapped}, {depth}, {values}[1], {values}[0], axis={axis})"


@op("TopK", versions=[v for v in schema_versions("TopK") if v >= 10], dtypes={"float32", "float16", "int32", "int64"})
def top_k(n):
    """ops.topk (largest) or on the negated input (smallest); sorted only"""
    axis, largest = top_k_order(n)
    k = int_value(n, 1, "k")
    rank = n.in_rank(0)
    if rank is None or axis not in (-1, rank - 1):
        n.refuse("TopK along an axis other than the last is not mapped for MindSpore yet")
    values, indices = n.tmp("values"), n.tmp("indices")
    source = n.x(0) if largest else f"-{n.x(0)}"
    # dim as the last axis's number: ops.topk swaps axes for dim=-1, and that swap's range check stays in a
    # MindIR graph as a raise node that GraphCell cannot load (measured on Mixtral's router)
    n.stmt(f"{values}, {indices} = ops.topk({source}, {k}, dim={rank - 1}, largest=True, sorted=True)")
    return [values if largest else f"-{values}", f"{indices}.astype(mindspore.int64)"]


@op("NonZero", dtypes=_DATA)
def non_zero(n):
    """ops.nonzero, transposed to ONNX's [rank, count] layout (its shape depends on the values)"""
    if n.in_rank(0) in (None, 0):
        n.refuse("the input rank must be known and at least 1")
    n.require_eager("NonZero's output shape depends on the input's values")
    return f"ops.transpose(ops.nonzero({n.x(0)}), (1, 0)).astype(mindspore.int64)"


@op("ReverseSequence", dtypes=_DATA)
def reverse_sequence(n):
    """ops.reverse_sequence (the first seq_len[b] steps of each batch entry reversed)"""
    batch_axis, time_axis = reverse_sequence_axes(n)
    return f"ops.reverse_sequence({n.x(0)}, {n.x(1)}, seq_dim={time_axis}, batch_dim={batch_axis})"


_COMPRESS = """
def _compress(x, condition, axis):
    # ONNX Compress: the slices along axis whose condition is true (the flattened input when axis is None)
    if axis is None:
        x, axis = ops.reshape(x, (-1,)), 0
    keep = ops.reshape(ops.nonzero(condition.astype(mindspore.bool_)), (-1,))
    keep = ops.masked_select(keep, keep < x.shape[axis])
    return ops.gather(x, keep, axis)
"""


@op("Compress", dtypes=_DATA)
def compress(n):
    """the slices where condition is true, gathered (its shape depends on the values)"""
    axis = n.attr("axis", None)
    n.require_eager("Compress's output shape depends on the condition's values")
    return f"{n.helper('_compress', _COMPRESS)}({n.x(0)}, {n.x(1)}, {n.lit(axis)})"


@op("Unique", versions=[11, 28], dtypes={"float32", "float64", "int32", "int64"})
def unique(n):
    """sorted or first-occurrence unique values with indices, inverse indices and counts (host numpy)"""
    n.require_eager("Unique's output shape depends on the input's values")
    helper = n.helper("_unique", _UNIQUE)
    axis, sorted_ = unique_args(n)
    return f"{helper}({n.x(0)}, {n.lit(axis)}, {sorted_})"


_UNIQUE = """
def _unique(x, axis, sorted_):
    # numpy's unique has exactly ONNX's outputs; it runs on the host (data-dependent output size).
    values, index, inverse, counts = np.unique(
        x.asnumpy(), return_index=True, return_inverse=True, return_counts=True, axis=axis
    )
    if not sorted_:
        order = np.argsort(index, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        values = np.take(values, order, axis=0 if axis is None else axis)
        index, counts, inverse = index[order], counts[order], rank[inverse.reshape(-1)]
    as_int64 = lambda a: mindspore.Tensor(np.asarray(a, dtype=np.int64).reshape(-1))
    return mindspore.Tensor(values), as_int64(index), as_int64(inverse), as_int64(counts)
"""


tensor_scatter.register(
    op,
    __name__,
    vocabulary(
        "ops",
        tensor_scatter.VOCABULARY,
        clip="ops.clamp",
        take="(lambda update, index, axis: ops.gather_elements(update, axis, index))",
    ),
    dtypes=_DATA,
)
