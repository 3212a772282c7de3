"""ONNX TensorScatter (opset 24, the KV-cache update) as every target computes it: one helper in a target's
vocabulary that picks, for each cache position, the update step written there (or keeps the cache)."""

from porter.semantics import register_emitter

HELPER_SOURCE = """
def _tensor_scatter(past, update, write_indices, axis, circular):
    # ONNX TensorScatter: update written into the cache along axis from each batch entry's write index on
    length, steps = past.shape[axis], update.shape[axis]
    view = [1] * len(past.shape)
    view[axis] = length
    offset = {reshape}({arange}(length), tuple(view))  # the update step each cache position would take
    if write_indices is not None:
        offset = offset - {reshape}(write_indices, (-1,) + (1,) * (len(past.shape) - 1))
    if circular:
        offset = offset % length
    keep = {logical_or}(offset < 0, offset >= steps)
    index = {broadcast_to}({clip}(offset, 0, steps - 1), tuple(past.shape))
    return {where}(keep, past, {take}(update, index, axis))
"""


def tensor_scatter_call(n, vocab: dict) -> str:
    mode = n.attr("mode", "linear")
    if mode not in ("linear", "circular"):
        n.refuse(f"mode={mode!r} is not an ONNX value")
    rank = n.in_rank(0)
    if rank is None:
        n.refuse("the cache's rank must be known")
    axis = int(n.attr("axis", -2)) % rank
    if axis == 0:
        n.refuse("axis 0 is the batch axis, not a sequence axis")
    write = n.x(2) if n.has_input(2) else "None"
    helper = n.helper("_tensor_scatter", HELPER_SOURCE.format(**vocab))
    return f"{helper}({n.x(0)}, {n.x(1)}, {write}, {axis}, {mode == 'circular'})"


# The calls the helper makes, each spelled by a target (take: take_along_axis(update, index, axis)).
VOCABULARY = ("reshape", "arange", "logical_or", "broadcast_to", "clip", "where", "take")


def register(op, module: str, vocab: dict[str, str], dtypes) -> None:
    """TensorScatter for a target whose calls are `vocab` (semantics.vocabulary over VOCABULARY)."""
    register_emitter(
        op, "TensorScatter", lambda n: tensor_scatter_call(n, vocab), name="tensor_scatter", module=module,
        doc="the cache with the update written from each batch entry's write index (linear or circular)",
        dtypes=dtypes,
    )  # fmt: skip
