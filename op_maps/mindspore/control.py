"""Control flow for MindSpore: If, Loop, Scan (the structure is shared, porter/control_flow.py).

Conditions and trip counts are read with bool()/int(): these models run in PYNATIVE_MODE.
"""

from porter.control_flow import Vocabulary, register_control_flow
from porter.op_maps.mindspore._registry import REGISTRY

register_control_flow(
    REGISTRY,
    Vocabulary(
        int64_scalar="mindspore.Tensor({value}, mindspore.int64)",
        bool_scalar="mindspore.Tensor({value}, mindspore.bool_)",
        stack="ops.stack({items}, axis={axis})",
        take="ops.squeeze(ops.narrow({x}, {axis}, {index}, 1), {axis})",
    ),
)
