"""What every fusion pass shares: reading a pattern on the onnx_ir graph (producers, uses, small constants)
and writing the fused node in the pattern's place.

A pattern may only swallow a value nobody else reads (one use, not a graph output), so removing it changes
nothing outside the pattern. Constants are read only when they are small (a scalar, an axes list): a large
initializer is never read here, so the memory-mapped or external weights of a model stay on disk.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import numpy as np
import onnx_ir as ir

from porter.passes.screen import CONSTANT_LIMIT, FUSED_OPSET_KEY, fusion_enabled


def is_onnx(node: ir.Node) -> bool:
    return node.domain in ("", "ai.onnx")


def produced_by(value: ir.Value | None, op_type: str) -> ir.Node | None:
    """The ONNX `op_type` node producing `value`, else None."""
    node = None if value is None else value.producer()
    return node if node is not None and node.op_type == op_type and is_onnx(node) else None


def sole(value: ir.Value | None, op_type: str) -> ir.Node | None:
    """The ONNX `op_type` node producing `value`, when `value` is its only live output and has exactly one
    reader (so the node can disappear with the pattern)."""
    node = produced_by(value, op_type)
    if node is None:
        return None
    for output in node.outputs:
        used = len(output.uses()) + output.is_graph_output()
        if used != (1 if output is value else 0):
            return None
    return node


def constant(value: ir.Value | None) -> np.ndarray | None:
    """The value of a small constant (an initializer or a Constant node), else None."""
    if value is None:
        return None
    tensor = value.const_value
    node = value.producer()
    if tensor is None and node is not None and node.op_type == "Constant" and is_onnx(node):
        if len(node.attributes) != 1:
            return None
        attr = next(iter(node.attributes.values()))
        if attr.name in ("value_float", "value_int"):
            return np.array(attr.value)
        tensor = attr.value if attr.name == "value" else None
    if tensor is None or tensor.size > CONSTANT_LIMIT:
        return None
    return tensor.numpy()


def axes(node: ir.Node) -> list[int] | None:
    """A reduction's or (un)squeeze's axes: its `axes` attribute (before opset 13 / 18) or its constant
    second input; None when they are not known here (absent, or computed at run time)."""
    attribute = node.attributes.get("axes")
    if attribute is not None:
        return list(attribute.as_ints())
    array = constant(node.inputs[1]) if len(node.inputs) > 1 else None
    return None if array is None else [int(a) for a in array.reshape(-1).tolist()]


def scalar(value: ir.Value | None) -> float | None:
    array = constant(value)
    return float(array.reshape(-1)[0]) if array is not None and array.size == 1 else None


def is_scalar(value: ir.Value | None, expected: float) -> bool:
    """The constant equals `expected` to float32 precision (an exact constant, not a near miss)."""
    found = scalar(value)
    return found is not None and math.isclose(found, expected, rel_tol=1e-6)


def operands(node: ir.Node) -> Iterator[tuple[ir.Value, ir.Value]]:
    """A binary node's two inputs in both orders (Add and Mul commute)."""
    if len(node.inputs) == 2 and node.inputs[0] is not None and node.inputs[1] is not None:
        yield node.inputs[0], node.inputs[1]
        yield node.inputs[1], node.inputs[0]


def with_scalar(node: ir.Node | None, expected: float) -> ir.Value | None:
    """The other operand of a commutative binary node whose one operand is the scalar `expected`."""
    if node is None:
        return None
    return next((other for const, other in operands(node) if is_scalar(const, expected)), None)


def replace(
    final: ir.Node, group: Sequence[ir.Node], op_type: str, inputs: Sequence[ir.Value], attributes: dict, since: int
) -> ir.Node:
    """Put one `op_type` node where `group` was. It keeps the final node's name, output value (its name, type
    and shape) and metadata (the module path the hierarchy reads), and records the opset it is written in."""
    fused = ir.node(
        op_type,
        list(inputs),
        attributes,
        name=final.name,
        metadata_props={**final.metadata_props, FUSED_OPSET_KEY: str(since)},
    )
    graph = final.graph
    assert graph is not None, "a pattern is matched on nodes of a graph"
    ir.convenience.replace_nodes_and_values(graph, final, list(group), [fused], [final.outputs[0]], fused.outputs)
    return fused


class RewritePass(ir.passes.InPlacePass):
    """A pass over the main graph's nodes in order that counts its rewrites (the pipeline reports them).
    Subclasses implement rewrite(node), returning how many rewrites it made there (0: the node stays as it
    is); a node an earlier rewrite removed is not visited, and nothing runs unless enabled()."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def enabled(self) -> bool:
        return True

    def rewrite(self, node: ir.Node) -> int:
        raise NotImplementedError

    def call(self, model: ir.Model) -> ir.passes.PassResult:
        count = 0
        if self.enabled():
            for node in list(model.graph):
                if node.graph is not None:
                    count += self.rewrite(node)
        self.count += count
        return ir.passes.PassResult(model, modified=bool(count))


class FusionPass(RewritePass):
    """Replace every match of `match` by one `op_type` node, when the target's registry maps that op.

    Subclasses set op_type and since (the opset that defines the op, from porter.passes.screen's FUSIONS, where
    the screen also reads the op types every match contains) and implement match(node), which returns
    (inputs, attributes, group) with `node`, the pattern's last node, in the group, or None."""

    op_type = ""
    since = 0

    def __init__(self, registry):
        super().__init__()
        self.registry = registry

    def enabled(self) -> bool:
        """The target maps the fused op (else the decomposition stays: it is what the port can run)."""
        return fusion_enabled(self.registry, self.op_type)

    def match(self, node: ir.Node) -> tuple[list[ir.Value], dict, list[ir.Node]] | None:
        raise NotImplementedError

    def rewrite(self, node: ir.Node) -> int:
        found = self.match(node) if is_onnx(node) else None
        if found is None:
            return 0
        inputs, attributes, group = found
        replace(node, group, self.op_type, inputs, attributes, self.since)
        return 1
