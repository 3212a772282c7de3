"""Cast and CastLike. BitCast is refused (Paddle has no bit reinterpretation that covers its dtypes)."""

from porter.op_maps.paddle._registry import op
from porter.semantics.cast import register_casts

register_casts(op, __name__, "paddle.cast", "paddle.trunc")
