"""Indexing: Gather, GatherElements, GatherND, ScatterElements, ScatterND, Scatter, OneHot, NonZero,
Compress, Unique, ReverseSequence, TopK, TensorScatter.

ONNX allows negative indices; Paddle's gather kernels do not wrap them, so indices are normalised
(idx + dim where idx < 0) in the generated code unless they are constants known to be non-negative.
"""

import numpy as np

from porter.op_maps import _scatter as tensor_scatter
from porter.op_maps.paddle._registry import op
from porter.op_maps.paddle.elementwise import widened
from porter.semantics import embedding_lookup, vocabulary
from porter.semantics.index import (
    gather_nd_batch_dims,
    reverse_sequence_axes,
    scalar_index,
    scatter_reduction,
    top_k_order,
    unique_args,
)

_DATA_DTYPES = {"float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"}


def _indices(n, i: int, dim: str) -> str:
    """Indices input i as int64 with negatives wrapped by `dim` (source text of the axis length)."""
    const = n.const(i)
    if const is not None and (const >= 0).all():
        return n.tensor(const.astype(np.int64), "indices")
    idx = n.x(i)
    return f"paddle.where({idx} < 0, {idx} + {dim}, {idx}).astype('int64')"


# Paddle's own padding_idx zeroes the looked-up row in the forward; torch's only keeps its gradient at zero
_TORCH_EMBEDDING = """
class TorchEmbedding(nn.Embedding):
    \"\"\"nn.Embedding with torch's padding_idx: that row is looked up as stored and never trained.\"\"\"

    def __init__(self, num_embeddings, embedding_dim, padding_row):
        super().__init__(num_embeddings, embedding_dim)
        self.padding_row = padding_row

    def forward(self, ids):
        out = super().forward(ids)
        # the padding positions' values, cut from the graph: no gradient reaches the padding row
        return paddle.where((ids == self.padding_row).unsqueeze(-1), out.detach(), out)
"""


@op("Gather", dtypes=_DATA_DTYPES | {"bfloat16"})
def gather(n):
    """paddle.gather along axis (any indices rank: gathered flat, then reshaped); nn.Embedding for torch's"""
    # a port that trains: TorchEmbedding for torch's padding_idx (that row read as stored, never trained)
    table, padding = embedding_lookup(n)
    if table is not None:
        ctor = f"nn.Embedding({table.shape[0]}, {table.shape[1]})"
        if padding is not None:
            ctor = f"{n.helper('TorchEmbedding', _TORCH_EMBEDDING)}({table.shape[0]}, {table.shape[1]}, {padding})"
        layer = n.layer(n.layer_hint(0), ctor, {"weight": table}, {"weight": n.input_source_name(0) or "weight"})
        return f"{layer}({n.x(1)})"
    subscript = scalar_index(n)
    if subscript is not None:  # one constant index: x[:, 2], not a gather of a one-element tensor
        return f"{n.x(0)}{subscript}"
    axis = int(n.attr("axis", 0))
    x = n.x(0)
    idx = _indices(n, 1, f"{x}.shape[{axis}]")
    helper = n.helper("_gather", _GATHER)
    if n.in_dtype(0) == "bfloat16":  # paddle.gather has a CPU bfloat16 kernel: no float32 copy of a large table
        return f"{helper}({x}, {idx}, {axis})"
    return widened(n, [x], n.in_dtype(0), lambda data: f"{helper}({data}, {idx}, {axis})")


_GATHER = """
def _gather(x, indices, axis):
    # ONNX Gather: output shape is x.shape[:axis] + indices.shape + x.shape[axis + 1:].
    axis = axis % x.ndim
    flat = paddle.gather(x, indices.flatten(), axis=axis)
    return paddle.reshape(flat, x.shape[:axis] + indices.shape + x.shape[axis + 1 :])
"""


@op("GatherElements", dtypes=_DATA_DTYPES)
def gather_elements(n):
    """paddle.take_along_axis"""
    axis = int(n.attr("axis", 0))
    x = n.x(0)
    idx = _indices(n, 1, f"{x}.shape[{axis}]")
    return f"paddle.take_along_axis({x}, {idx}, axis={axis}, broadcast=False)"


@op("GatherND", dtypes=_DATA_DTYPES)
def gather_nd(n):
    """paddle.gather_nd over the batch dims"""
    batch_dims = gather_nd_batch_dims(n)
    helper = n.helper("_gather_nd", _GATHER_ND)
    return f"{helper}({n.x(0)}, {n.x(1)}, {batch_dims})"


_GATHER_ND = """
def _gather_nd(x, indices, batch_dims):
    indices = indices.astype('int64')
    depth = indices.shape[-1]
    dims = paddle.shape(x)[batch_dims : batch_dims + depth]  # a tensor op: compiled programs keep dims symbolic
    indices = paddle.where(indices < 0, indices + dims, indices)
    if batch_dims == 0:
        return paddle.gather_nd(x, indices)
    batch = x.shape[:batch_dims]
    count = int(np.prod(batch))
    xs = paddle.reshape(x, [count] + x.shape[batch_dims:])
    ids = paddle.reshape(indices, [count] + indices.shape[batch_dims:])
    out = paddle.stack([paddle.gather_nd(xs[i], ids[i]) for i in range(count)])
    return paddle.reshape(out, batch + out.shape[1:])
"""


@op("ScatterElements", dtypes=_DATA_DTYPES)
def scatter_elements(n):
    """paddle.put_along_axis (assign / add / mul / amin / amax)"""
    axis = int(n.attr("axis", 0))
    reduction = scatter_reduction(n)
    x = n.x(0)
    idx = _indices(n, 1, f"{x}.shape[{axis}]")
    reduce = {"none": "assign", "add": "add", "mul": "mul", "min": "amin", "max": "amax"}[reduction]
    return f"paddle.put_along_axis({x}, {idx}, {n.x(2)}, axis={axis}, reduce={reduce!r}, include_self=True, broadcast=False)"


@op("Scatter", dtypes=_DATA_DTYPES)
def scatter(n):
    """the deprecated Scatter = ScatterElements without reduction"""
    axis = int(n.attr("axis", 0))
    x = n.x(0)
    idx = _indices(n, 1, f"{x}.shape[{axis}]")
    return f"paddle.put_along_axis({x}, {idx}, {n.x(2)}, axis={axis}, reduce='assign', broadcast=False)"


@op("ScatterND", dtypes=_DATA_DTYPES)
def scatter_nd(n):
    """copy of data with updates written (or reduced) at the index tuples"""
    reduction = scatter_reduction(n)
    if reduction in ("none", "add") and n.in_dtype(0) in ("float32", "float64", "int32", "int64"):
        helper = n.helper("_scatter_nd", _SCATTER_ND)
        return f"{helper}({n.x(0)}, {n.x(1)}, {n.x(2)}, {reduction!r})"
    n.require_eager(f"reduction={reduction!r} on {n.in_dtype(0)} is applied one index at a time in Python")
    helper = n.helper("_scatter_nd_loop", _SCATTER_ND_LOOP)
    return f"{helper}({n.x(0)}, {n.x(1)}, {n.x(2)}, {reduction!r})"


_SCATTER_ND = """
def _scatter_nd(x, indices, updates, reduction):
    # ONNX ScatterND in tensor ops (compiles under paddle.jit.to_static); the written positions are a
    # scatter of ones, so "none" replaces exactly those elements.
    indices = indices.astype('int64')
    indices = paddle.where(indices < 0, indices + paddle.shape(x)[: indices.shape[-1]], indices)
    if reduction == "add":
        return paddle.scatter_nd_add(x, indices, updates)
    hit = paddle.scatter_nd_add(paddle.zeros_like(x, dtype='int32'), indices, paddle.ones_like(updates, dtype='int32'))
    return paddle.where(hit > 0, paddle.scatter_nd_add(paddle.zeros_like(x), indices, updates), x)
"""

_SCATTER_ND_LOOP = """
def _scatter_nd_loop(x, indices, updates, reduction):
    # ONNX ScatterND: updates are applied in index order; reductions combine with the current value.
    out = x.clone()
    depth = indices.shape[-1]
    flat_idx = paddle.reshape(indices.astype('int64'), [-1, depth]).tolist()
    flat_upd = paddle.reshape(updates, [len(flat_idx)] + updates.shape[indices.ndim - 1 :])
    for i, where in enumerate(flat_idx):
        key = tuple(where)
        if reduction == "none":
            out[key] = flat_upd[i]
        elif reduction == "add":
            out[key] = out[key] + flat_upd[i]
        elif reduction == "mul":
            out[key] = out[key] * flat_upd[i]
        elif reduction == "min":
            out[key] = paddle.minimum(out[key], flat_upd[i])
        else:
            out[key] = paddle.maximum(out[key], flat_upd[i])
    return out
"""


@op("OneHot")
def one_hot(n):
    """values[1] at the (wrapped) index along axis, values[0] elsewhere"""
    axis = int(n.attr("axis", -1))
    helper = n.helper("_one_hot", _ONE_HOT)
    return f"{helper}({n.x(0)}, {n.x(1)}, {n.x(2)}, {axis})"


_ONE_HOT = """
def _one_hot(indices, depth, values, axis):
    depth = int(depth.reshape([-1])[0])
    indices = indices.astype('int64')
    indices = paddle.where(indices < 0, indices + depth, indices)
    valid = (indices >= 0) & (indices < depth)
    hot = nn.functional.one_hot(paddle.where(valid, indices, paddle.zeros_like(indices)), depth)
    hot = hot * paddle.unsqueeze(valid.astype(hot.dtype), -1)
    hot = paddle.moveaxis(hot, -1, axis % (indices.ndim + 1))
    off, on = values[0], values[1]
    if values.dtype in (paddle.float16, paddle.bfloat16, paddle.int8, paddle.int16, paddle.uint8):
        # Paddle's CPU `where` has no kernel for these; every value of them is exact in float32.
        return paddle.where(hot > 0, on.astype('float32'), off.astype('float32')).astype(values.dtype)
    return paddle.where(hot > 0, on, off)
"""


@op("NonZero")
def non_zero(n):
    """paddle.nonzero, transposed to ONNX's [rank, count] layout"""
    return f"paddle.transpose(paddle.nonzero({n.x(0)}), [1, 0])"


@op("Compress", dtypes=_DATA_DTYPES)
def compress(n):
    """keep the slices where condition is true (flattened input when no axis)"""
    axis = n.attr("axis", None)
    x, cond = n.x(0), n.x(1)
    helper = n.helper("_compress", _COMPRESS)
    return f"{helper}({x}, {cond}, {n.lit(axis)})"


_COMPRESS = """
def _compress(x, condition, axis):
    if axis is None:
        x, axis = x.flatten(), 0
    keep = paddle.nonzero(condition.astype('bool')).flatten()
    keep = keep[keep < x.shape[axis]]
    return paddle.index_select(x, keep, axis=axis)
"""


@op("TopK", dtypes={"float32", "float64", "int32", "int64"})
def top_k(n):
    """paddle.topk (ties: the lower index first, as ONNX requires)"""
    axis, largest = top_k_order(n)
    if n.since < 10:
        k = str(int(n.attr("k")))
    else:
        const = n.const(1)
        k = str(int(const.reshape(-1)[0])) if const is not None else f"int({n.x(1)}.reshape([-1])[0])"
    helper = n.helper("_top_k", _TOP_K)
    return f"{helper}({n.x(0)}, {k}, {axis}, {largest})"


_TOP_K = """
def _top_k(x, k, axis, largest):
    # A stable sort keeps equal values in index order, which is ONNX's tie rule.
    order = paddle.argsort(x, axis=axis, descending=largest, stable=True)
    indices = paddle.slice(order, [axis], [0], [k])
    return paddle.take_along_axis(x, indices, axis=axis), indices
"""


@op("Unique", dtypes={"float32", "float64", "int32", "int64"})
def unique(n):
    """sorted or first-occurrence unique values with indices, inverse indices and counts"""
    axis, sorted_ = unique_args(n)
    helper = n.helper("_unique", _UNIQUE)
    return f"{helper}({n.x(0)}, {n.lit(axis)}, {sorted_})"


_UNIQUE = """
def _unique(x, axis, sorted_):
    # numpy's unique has exactly ONNX's outputs; it runs on the host (data-dependent output size).
    data = x.numpy()
    values, index, inverse, counts = np.unique(data, return_index=True, return_inverse=True, return_counts=True, axis=axis)
    if not sorted_:
        order = np.argsort(index, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        values = np.take(values, order, axis=0 if axis is None else axis)
        index, counts, inverse = index[order], counts[order], rank[inverse.reshape(-1)]
    as_int64 = lambda a: paddle.to_tensor(np.asarray(a, dtype=np.int64).reshape(-1))
    return paddle.to_tensor(values), as_int64(index), as_int64(inverse), as_int64(counts)
"""


@op("ReverseSequence", dtypes=_DATA_DTYPES)
def reverse_sequence(n):
    """reverse the first seq_len[b] steps of each batch entry"""
    batch_axis, time_axis = reverse_sequence_axes(n)
    helper = n.helper("_reverse_sequence", _REVERSE_SEQUENCE)
    return f"{helper}({n.x(0)}, {n.x(1)}, {batch_axis}, {time_axis})"


_REVERSE_SEQUENCE = """
def _reverse_sequence(x, lengths, batch_axis, time_axis):
    steps = x.shape[time_axis]
    t = paddle.arange(steps, dtype='int64')
    shape = [1] * x.ndim
    shape[time_axis] = steps
    t = paddle.reshape(t, shape)
    lens_shape = [1] * x.ndim
    lens_shape[batch_axis] = -1
    lens = paddle.reshape(lengths.astype('int64'), lens_shape)
    source = paddle.where(t < lens, lens - 1 - t, t)
    source = paddle.broadcast_to(source, x.shape)
    return paddle.take_along_axis(x, source, axis=time_axis, broadcast=False)
"""


tensor_scatter.register(
    op,
    __name__,
    vocabulary("paddle", tensor_scatter.VOCABULARY, take="paddle.take_along_axis"),
    dtypes=_DATA_DTYPES,
)
