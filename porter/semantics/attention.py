"""ONNX Attention (opset 23+) as every target computes it: one helper, written in a target's vocabulary, that
follows the operator's definition step by step (onnx.reference's order of operations): 3-D inputs split into
heads, the scale applied as sqrt(scale) to both Q and K, the key/value cache appended, causal masking aligned
bottom-right (offset by the cache length, or per batch by nonpad_kv_seqlen), sliding windows, grouped KV heads
repeated, softcap before the mask, softmax in softmax_precision, fully masked rows zero, and the four
qk_matmul_output modes."""

from __future__ import annotations

from porter.semantics import register_emitter

_HELPER = """
def _onnx_attention(q, k, v, mask, mask_is_bool, past_k, past_v, nonpad, scale, is_causal, q_heads, kv_heads,
                    softcap, mode, left, right, softmax_dtype):
    # ONNX Attention, step by step as the operator defines it
    rank3 = len(q.shape) == 3
    if rank3:  # [batch, seq, heads * size] -> [batch, heads, seq, size]
        q = {transpose}({reshape}(q, (q.shape[0], q.shape[1], q_heads, -1)), (0, 2, 1, 3))
        k = {transpose}({reshape}(k, (k.shape[0], k.shape[1], kv_heads, -1)), (0, 2, 1, 3))
        v = {transpose}({reshape}(v, (v.shape[0], v.shape[1], kv_heads, -1)), (0, 2, 1, 3))
    root = (1.0 / q.shape[3] ** 0.5 if scale is None else scale) ** 0.5
    k = k if past_k is None else {concat}([past_k, k], 2)
    v = v if past_v is None else {concat}([past_v, v], 2)
    present_k, present_v = k, v
    steps, keys = q.shape[2], k.shape[2]

    def additive(allowed):  # True -> 0, False -> -inf, in q's dtype
        zero = {zeros}(allowed.shape, q.dtype)
        return {where}(allowed, zero, zero - float("inf"))

    if mask is not None and mask.shape[-1] < keys:  # a short mask is padded with "masked"
        fill = {zeros}(tuple(mask.shape[:-1]) + (keys - mask.shape[-1],), mask.dtype)
        fill = fill if mask_is_bool else fill - float("inf")
        mask = {concat}([mask, fill], len(mask.shape) - 1)
    if mask is not None and mask_is_bool:
        mask = additive(mask)
    if past_k is None and nonpad is not None:  # per batch: the keys before this block of queries
        offset = {reshape}(nonpad, (-1, 1, 1)) - steps
    else:
        offset = 0 if past_k is None else past_k.shape[2]
    rows = {reshape}({arange}(steps), (steps, 1))
    cols = {reshape}({arange}(keys), (1, keys))
    diff = rows + offset - cols  # [q, kv] or [batch, q, kv]

    def spread(b):  # a per-batch [batch, q, kv] term gets its head axis
        return {reshape}(b, (b.shape[0], 1, steps, keys)) if len(b.shape) == 3 else b

    bias = {zeros}((steps, keys), q.dtype)
    if is_causal:
        bias = (bias if mask is None else mask) + spread(additive(diff >= 0))
    elif mask is not None:
        bias = bias + mask
    if left >= 0 or right >= 0:
        inside = diff == diff
        if left >= 0:
            inside = {logical_and}(inside, diff <= left)
        if right >= 0:
            inside = {logical_and}(inside, -diff <= right)
        bias = bias + spread(additive(inside))
    if nonpad is not None:
        valid = cols < {reshape}(nonpad, (-1, 1))
        bias = bias + {reshape}(additive(valid), (valid.shape[0], 1, 1, keys))
    if q.shape[1] != k.shape[1] and q.shape[1] % k.shape[1] == 0:  # grouped KV heads: each repeated in place
        k = {repeat_interleave}(k, q.shape[1] // k.shape[1], 1)
        v = {repeat_interleave}(v, q.shape[1] // v.shape[1], 1)
    qk = {matmul}(q * root, {transpose}(k * root, (0, 1, 3, 2)))
    if softcap is not None and softcap > 0:
        qk = {tanh}(qk / softcap) * softcap
    with_bias = qk + bias
    out = with_bias if mode == 2 else qk
    scores = with_bias if softmax_dtype is None else {cast}(with_bias, softmax_dtype)
    # a row with every key masked attends to nothing: zero, not NaN. Its scores are set finite before the
    # softmax too: MindSpore's CPU softmax of a 4-D input with an all -inf row zeroes its other rows (measured)
    dead = {rowmax}(bias, -1, True) == float("-inf")
    scores = {where}(dead, {zeros}((1,), scores.dtype), scores)
    probs = {where}(dead, {zeros}((1,), scores.dtype), {softmax}(scores, -1))
    if mode == 3:
        out = probs
    y = {matmul}({cast}(probs, q.dtype), v)
    if rank3:
        y = {transpose}(y, (0, 2, 1, 3))
        y = {reshape}(y, (y.shape[0], y.shape[1], -1))
    return y, present_k, present_v, {cast}(out, q.dtype)
"""


def attention_helper(vocab: dict[str, str]) -> str:
    return _HELPER.format(**vocab)


def attention_call(n, vocab: dict[str, str]) -> str:
    """The call of the helper for an Attention node, every attribute read (ONNX defaults), sliced to its outputs."""
    rank = n.in_rank(0)
    if rank not in (3, 4):
        n.refuse("Q must be 3-D or 4-D with a known rank")
    q_heads, kv_heads = n.attr("q_num_heads", None), n.attr("kv_num_heads", None)
    if rank == 3 and (q_heads is None or kv_heads is None):
        n.refuse("3-D inputs need q_num_heads and kv_num_heads")
    mode = int(n.attr("qk_matmul_output_mode", 0))
    if mode not in (0, 1, 2, 3):
        n.refuse(f"qk_matmul_output_mode={mode} is not an ONNX value")
    if n.has_input(4) != n.has_input(5):
        n.refuse("past_key and past_value must be given together")
    if n.has_input(6) and n.has_input(4):
        n.refuse("nonpad_kv_seqlen cannot be combined with a past key/value cache")
    precision = n.attr("softmax_precision", None)
    if precision is not None:
        from porter.dtypes import onnx_dtype_name

        precision = n.dtype(onnx_dtype_name(precision))
    scale = n.attr("scale", None)
    softcap = n.attr("softcap", None)
    optional = {i: (n.x(i) if n.has_input(i) else "None") for i in range(3, 7)}
    args = [
        n.x(0), n.x(1), n.x(2), optional[3], str(n.in_dtype(3) == "bool"), optional[4], optional[5], optional[6],
        repr(scale), str(bool(n.attr("is_causal", 0))), repr(q_heads), repr(kv_heads), repr(softcap), str(mode),
        str(int(n.attr("left_window_size", -1))), str(int(n.attr("right_window_size", -1))), str(precision),
    ]  # fmt: skip
    call = f"{n.helper('_onnx_attention', attention_helper(vocab))}({', '.join(args)})"
    return f"{call}[0]" if n.num_outputs == 1 else f"{call}[:{n.num_outputs}]"


# The calls the helper makes, each spelled by a target (rowmax: the maximum along an axis, keeping it).
VOCABULARY = ("transpose", "reshape", "concat", "zeros", "where", "arange", "logical_and", "repeat_interleave",
              "matmul", "tanh", "cast", "softmax", "rowmax")  # fmt: skip


def register_attention(op, module: str, vocab: dict[str, str], dtypes) -> None:
    """Attention for a target whose calls are `vocab` (semantics.vocabulary over VOCABULARY)."""
    register_emitter(
        op, "Attention", lambda n: attention_call(n, vocab), name="attention", module=module, dtypes=dtypes,
        doc="ONNX's definition step by step (masks, cache, GQA, softcap, windows, qk outputs)",
    )  # fmt: skip
