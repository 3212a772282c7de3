"""Control flow for Paddle: If, Loop, Scan (the structure is shared, porter/control_flow.py)."""

from porter.control_flow import Vocabulary, register_control_flow
from porter.op_maps.paddle._registry import REGISTRY

register_control_flow(
    REGISTRY,
    Vocabulary(
        int64_scalar="paddle.to_tensor({value}, dtype='int64')",
        bool_scalar="paddle.to_tensor({value})",
        stack="paddle.stack({items}, axis={axis})",
        take="paddle.squeeze(paddle.slice({x}, [{axis}], [{index}], [{index} + 1]), axis=[{axis}])",
    ),
)
