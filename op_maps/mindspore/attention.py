"""Attention and RotaryEmbedding (opset 23+): each operator's definition as one helper in MindSpore's calls."""

from porter.op_maps import _rotary as rotary
from porter.op_maps.mindspore._registry import op
from porter.semantics import vocabulary
from porter.semantics.attention import VOCABULARY, register_attention

register_attention(op, __name__, vocabulary("ops", VOCABULARY, rowmax="ops.amax"), dtypes={"float32"})
rotary.register(op, __name__, "ops", dtypes={"float32", "float16"})
