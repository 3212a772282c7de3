"""Attention and RotaryEmbedding (opset 23+): each operator's definition as one helper in Paddle's calls."""

from porter.op_maps import _rotary as rotary
from porter.op_maps.paddle._registry import op
from porter.semantics import vocabulary
from porter.semantics.attention import VOCABULARY, register_attention

register_attention(
    op,
    __name__,
    vocabulary("paddle", VOCABULARY, softmax="nn.functional.softmax", rowmax="paddle.max"),
    dtypes={"float32", "float64"},
)
rotary.register(op, __name__, "paddle", dtypes={"float32", "float64"})
