"""ONNX RotaryEmbedding (opset 23) as every target computes it: one helper, written in a target's vocabulary
(`{reshape}`, `{gather}`, ...), that follows the operator's definition (onnx.reference's order of operations):
4-D input [batch, heads, seq, size] or 3-D [batch, seq, heads * size] with num_heads, cos/sin caches indexed by
position_ids (or already [batch, seq, size / 2]), the first rotary_embedding_dim channels rotated as halves or
as interleaved pairs, the rest passed through."""

from porter.semantics import register_emitter, vocabulary

HELPER_SOURCE = """
def _rotary_embedding(x, cos_cache, sin_cache, position_ids, interleaved, rotary_dim, num_heads):
    # ONNX RotaryEmbedding, step by step as the operator defines it
    rank3 = len(x.shape) == 3
    if rank3:  # [batch, seq, heads * size] -> [batch, seq, heads, size]
        x = {reshape}(x, (x.shape[0], x.shape[1], num_heads, -1))
    else:  # [batch, heads, seq, size] -> [batch, seq, heads, size]
        x = {transpose}(x, (0, 2, 1, 3))
    size = x.shape[3]
    rotary_dim = rotary_dim or size
    half = rotary_dim // 2
    if position_ids is not None:  # cache rows picked per (batch, position)
        rows = {reshape}(position_ids, (-1,))
        grid = (position_ids.shape[0], position_ids.shape[1], -1)
        cos_cache = {reshape}({gather}(cos_cache, rows, 0), grid)
        sin_cache = {reshape}({gather}(sin_cache, rows, 0), grid)
    cos = {unsqueeze}(cos_cache[:, :, :half], 2)
    sin = {unsqueeze}(sin_cache[:, :, :half], 2)
    rotate = x[:, :, :, :rotary_dim]
    if interleaved:
        x1, x2 = rotate[:, :, :, 0::2], rotate[:, :, :, 1::2]
    else:
        x1, x2 = rotate[:, :, :, :half], rotate[:, :, :, half:]
    real = cos * x1 - sin * x2
    imag = sin * x1 + cos * x2
    if interleaved:  # (real, imag) pairs back in place
        y = {reshape}({stack}([real, imag], -1), (x.shape[0], x.shape[1], x.shape[2], rotary_dim))
    else:
        y = {concat}([real, imag], -1)
    if rotary_dim < size:
        y = {concat}([y, x[:, :, :, rotary_dim:]], -1)
    if rank3:
        return {reshape}(y, (y.shape[0], y.shape[1], -1))
    return {transpose}(y, (0, 2, 1, 3))
"""


def rotary_call(n, vocab: dict) -> str:
    """RotaryEmbedding: every attribute handled, the rank and the cache layout checked at convert time."""
    rank = n.in_rank(0)
    if rank not in (3, 4):
        n.refuse("the input must be 3-D or 4-D with a known rank")
    num_heads = int(n.attr("num_heads", 0))
    if rank == 3 and num_heads <= 0:
        n.refuse("a 3-D input needs num_heads")
    rotary_dim = int(n.attr("rotary_embedding_dim", 0))
    if rotary_dim % 2:
        n.refuse(f"rotary_embedding_dim={rotary_dim} must be even")
    interleaved = bool(n.attr("interleaved", 0))
    position_ids = n.x(3) if n.has_input(3) else "None"
    cache_rank = n.in_rank(1)
    if cache_rank is not None and cache_rank != (2 if n.has_input(3) else 3):
        n.refuse("cos_cache must be 2-D with position_ids and 3-D without")
    helper = n.helper("_rotary_embedding", HELPER_SOURCE.format(**vocab))
    return f"{helper}({n.x(0)}, {n.x(1)}, {n.x(2)}, {position_ids}, {interleaved}, {rotary_dim}, {num_heads})"


# The calls the helper makes, each spelled by a target.
VOCABULARY = ("transpose", "reshape", "concat", "gather", "unsqueeze", "stack")


def register(op, module: str, calls: str, dtypes) -> None:
    """RotaryEmbedding for a target whose calls are `calls.name` for each of VOCABULARY."""
    vocab = vocabulary(calls, VOCABULARY)
    register_emitter(
        op, "RotaryEmbedding", lambda n: rotary_call(n, vocab), name="rotary_embedding", module=module, dtypes=dtypes,
        doc="ONNX's definition step by step (3-D or 4-D input, position_ids, rotary_embedding_dim, interleaved)",
    )  # fmt: skip
