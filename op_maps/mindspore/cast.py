"""Cast and CastLike for MindSpore."""

from porter.op_maps.mindspore._registry import op
from porter.semantics.cast import register_casts

register_casts(op, __name__, "ops.cast", "ops.trunc")
