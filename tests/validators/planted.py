"""A small model and three planted faults, to prove validation catches and locates a wrong mapping.

Each fault swaps one row of a target's mapping table for a faulty emitter, for the duration of a
`with` block; code converted inside the block carries the fault, everything else stays correct.
"""

from __future__ import annotations

import contextlib
import dataclasses

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from porter.targets import get_target


def planted_model() -> onnx.ModelProto:
    """x[batch, 4, 8] -> LayerNormalization -> MatMul [8, 4] -> Gather(axis=1, 4 indices) -> Tanh.

    Square trailing dims, so an off-by-one Gather axis keeps every shape and only the numbers change.
    """
    rng = np.random.default_rng(7)
    inits = [
        numpy_helper.from_array(rng.uniform(0.5, 1.5, 8).astype(np.float32), "ln.weight"),
        numpy_helper.from_array(rng.standard_normal(8).astype(np.float32), "ln.bias"),
        numpy_helper.from_array(rng.standard_normal((8, 4)).astype(np.float32), "proj.weight"),
        numpy_helper.from_array(np.array([3, 1, 0, 2], dtype=np.int64), "order"),
    ]
    nodes = [
        helper.make_node("LayerNormalization", ["x", "ln.weight", "ln.bias"], ["normed"], "ln", axis=-1, epsilon=1e-5),
        helper.make_node("MatMul", ["normed", "proj.weight"], ["projected"], "proj"),
        helper.make_node("Gather", ["projected", "order"], ["reordered"], "reorder", axis=1),
        helper.make_node("Tanh", ["reordered"], ["y"], "act"),
    ]
    graph = helper.make_graph(
        nodes,
        "planted",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4, 4])],
        inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _wrong_epsilon(emit):
    def faulty(n):
        n._attrs["epsilon"] = helper.make_attribute("epsilon", 1e-2)  # the source says 1e-5
        return emit(n)

    return faulty


def _gather_axis_off_by_one(emit):
    def faulty(n):
        n._attrs["axis"] = helper.make_attribute("axis", int(n.attr("axis")) + 1)
        return emit(n)

    return faulty


def _float16_matmul(emit):
    def faulty(n):
        f16, f32 = n.dtype("float16"), n.dtype("float32")
        if n.target.name == "paddle":  # Paddle's CPU has no float16 matmul: round operands and result instead
            a, b = (f"{n.x(i)}.astype({f16}).astype({f32})" for i in (0, 1))
            return f"paddle.matmul({a}, {b}).astype({f16}).astype({f32})"
        return f"ops.matmul({n.x(0)}.astype({f16}), {n.x(1)}.astype({f16})).astype({f32})"

    return faulty


FAULTS = {  # name -> (op_type, emitter wrapper, the node the search must name)
    "layernorm-epsilon": ("LayerNormalization", _wrong_epsilon, "ln"),
    "gather-axis": ("Gather", _gather_axis_off_by_one, "reorder"),
    "matmul-float16": ("MatMul", _float16_matmul, "proj"),
}


@contextlib.contextmanager
def planted(target: str, fault: str):
    """Within the block, `target`'s mapping for the fault's op emits the faulty code."""
    op_type, wrap, _node = FAULTS[fault]
    table = get_target(target).registry._table
    saved = {k: m for k, m in table.items() if k[1] == op_type}
    try:
        for key, mapping in saved.items():
            table[key] = dataclasses.replace(mapping, emit=wrap(mapping.emit))
        yield
    finally:
        table.update(saved)
