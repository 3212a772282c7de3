"""Fusion: the exporter's decompositions of common layers, recognised and written back as the ONNX op
that names them (Gelu, RMSNormalization, Swish), so the port calls the framework's own function.

torch.onnx writes `gelu(x)` as Div, Erf, Add, Mul, Mul and an RMSNorm as Pow, ReduceMean, Add, Sqrt,
Reciprocal, Mul, Mul. Each pattern here is checked on the graph itself (op types, constants, single
use of every intermediate), never on the exporter's metadata, and replaced only when the target maps
the fused op: the replacement is the same mathematics, so the result stays within the cpu profile
(the node suite, the zoo and the architecture table are the evidence). The fused node keeps the
replaced node's output name and metadata, and records the opset it is written in
(`porter.opset`): the model's own opset may predate the op.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator

import numpy as np
import onnx
import onnx.helper
import onnx.numpy_helper

from porter.frontends.onnx_source import tensor_array

FUSED_OPSET_KEY = "porter.opset"


class _Graph:
    """Look-ups over one graph: producers, readers and constant values."""

    def __init__(self, graph: onnx.GraphProto):
        self.graph = graph
        self.producer = {out: node for node in graph.node for out in node.output if out}
        self.readers: dict[str, int] = {}
        for node in graph.node:
            for name in node.input:
                self.readers[name] = self.readers.get(name, 0) + 1
        for vi in graph.output:
            self.readers[vi.name] = self.readers.get(vi.name, 0) + 1
        self.constants = {init.name: init for init in graph.initializer}

    def node(self, name: str, op_type: str) -> onnx.NodeProto | None:
        """The node producing `name` if it is an `op_type` read only once (so it can disappear)."""
        node = self.producer.get(name)
        if node is None or node.op_type != op_type or node.domain not in ("", "ai.onnx"):
            return None
        return node if self.readers.get(name, 0) == 1 else None

    def scalar(self, name: str) -> float | None:
        """The value of a constant with a single element (an initializer or a Constant node)."""
        array = self.array(name)
        return float(array.reshape(-1)[0]) if array is not None and array.size == 1 else None

    def array(self, name: str) -> np.ndarray | None:
        if name in self.constants:
            return tensor_array(self.constants[name])
        node = self.producer.get(name)
        if node is not None and node.op_type == "Constant" and len(node.attribute) == 1:
            attr = node.attribute[0]
            if attr.name == "value":
                return onnx.numpy_helper.to_array(attr.t)
            if attr.name in ("value_float", "value_int"):
                return np.array(onnx.helper.get_attribute_value(attr))
        return None

    def other(self, node: onnx.NodeProto, name: str) -> str | None:
        """The input of a binary node that is not `name`."""
        if len(node.input) != 2 or name not in node.input:
            return None
        return node.input[1] if node.input[0] == name else node.input[0]


def _close(value: float | None, expected: float) -> bool:
    return value is not None and math.isclose(value, expected, rel_tol=1e-6)


def _match_gelu(g: _Graph, final: onnx.NodeProto):
    """x * (0.5 * (erf(x / sqrt(2)) + 1)), in any operand order."""
    if final.op_type != "Mul" or len(final.input) != 2:
        return None
    for x, half_side in (final.input, reversed(final.input)):
        scaled = g.node(half_side, "Mul")
        if scaled is None:
            continue
        one_side = next((i for i in scaled.input if not _close(g.scalar(i), 0.5)), None)
        if one_side is None or not any(_close(g.scalar(i), 0.5) for i in scaled.input):
            continue
        plus = g.node(one_side, "Add")
        erf_out = plus and next((i for i in plus.input if not _close(g.scalar(i), 1.0)), None)
        if erf_out is None or not any(_close(g.scalar(i), 1.0) for i in plus.input):
            continue
        erf = g.node(erf_out, "Erf")
        inner = erf and g.producer.get(erf.input[0])
        if inner is None or g.readers.get(erf.input[0]) != 1 or inner.input[0] != x:
            continue
        ok = (inner.op_type == "Div" and _close(g.scalar(inner.input[1]), math.sqrt(2))) or (
            inner.op_type == "Mul" and _close(g.scalar(inner.input[1]), 1 / math.sqrt(2))
        )
        if ok:
            fused = onnx.helper.make_node("Gelu", [x], [final.output[0]], approximate="none")
            return fused, [inner, erf, plus, scaled, final], 20
    return None


def _match_rms_norm(g: _Graph, final: onnx.NodeProto):
    """scale * (x * 1 / sqrt(mean(x ** 2, last axis) + eps)), in any operand order."""
    if final.op_type != "Mul" or len(final.input) != 2:
        return None
    for scale, normed_side in (final.input, reversed(final.input)):
        weight = g.array(scale)
        normed = g.node(normed_side, "Mul")
        if weight is None or weight.ndim != 1 or normed is None:
            continue
        for x, inv_side in (normed.input, reversed(normed.input)):
            recip = g.node(inv_side, "Reciprocal")
            sqrt = recip and g.node(recip.input[0], "Sqrt")
            plus = sqrt and g.node(sqrt.input[0], "Add")
            if plus is None:
                continue
            mean_side = next((i for i in plus.input if g.scalar(i) is None), None)
            eps = next((g.scalar(i) for i in plus.input if g.scalar(i) is not None), None)
            mean = mean_side and g.node(mean_side, "ReduceMean")
            square = mean and g.node(mean.input[0], "Pow")
            if square is None or square.input[0] != x or not _close(g.scalar(square.input[1]), 2.0):
                continue
            if not _reduces_last_axis_keeping_dims(g, mean) or eps is None:
                continue
            fused = onnx.helper.make_node(
                "RMSNormalization", [x, scale], [final.output[0]], axis=-1, epsilon=float(np.float32(eps))
            )
            return fused, [square, mean, plus, sqrt, recip, normed, final], 23
    return None


def _reduces_last_axis_keeping_dims(g: _Graph, mean: onnx.NodeProto) -> bool:
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in mean.attribute}
    if attrs.get("keepdims", 1) != 1 or attrs.get("noop_with_empty_axes", 0) != 0:
        return False
    axes = attrs.get("axes")
    if axes is None and len(mean.input) > 1:
        array = g.array(mean.input[1])
        axes = None if array is None else array.reshape(-1).tolist()
    return axes is not None and list(axes) == [-1]


def _match_silu(g: _Graph, final: onnx.NodeProto):
    """x * sigmoid(x): ONNX Swish with alpha 1."""
    if final.op_type != "Mul" or len(final.input) != 2:
        return None
    for x, sig_side in (final.input, reversed(final.input)):
        sigmoid = g.node(sig_side, "Sigmoid")
        if sigmoid is not None and sigmoid.input[0] == x:
            return onnx.helper.make_node("Swish", [x], [final.output[0]], alpha=1.0), [sigmoid, final], 24
    return None


PATTERNS = (_match_rms_norm, _match_gelu, _match_silu)


@contextlib.contextmanager
def fused(model: onnx.ModelProto, registry) -> Iterator[int]:
    """While inside, the model's graph has every recognised decomposition replaced by its op, where
    `registry` (the target's) maps that op; yields how many were fused. The graph is restored on exit
    (the model is also the source that validation reads, and its weights are never copied)."""
    opsets = {(imp.domain or ""): imp.version for imp in model.opset_import}
    graph = model.graph
    if "" not in opsets and "ai.onnx" not in opsets:
        yield 0
        return
    g = _Graph(graph)
    replaced: dict[int, onnx.NodeProto] = {}
    removed: set[int] = set()
    index = {id(node): i for i, node in enumerate(graph.node)}
    for node in graph.node:
        if index[id(node)] in removed:
            continue
        for pattern in PATTERNS:
            match = pattern(g, node)
            if match is None:
                continue
            new, group, since = match
            mapping, _ = registry.lookup(new.op_type, since)
            if mapping is None or any(index[id(n)] in removed for n in group):
                continue
            new.name = node.name
            new.metadata_props.extend(node.metadata_props)
            new.metadata_props.add(key=FUSED_OPSET_KEY, value=str(since))
            removed.update(index[id(member)] for member in group)
            replaced[index[id(node)]] = new
            break
    if not replaced:
        yield 0
        return
    original = list(graph.node)
    rewritten = [replaced.get(i, node) for i, node in enumerate(original) if i in replaced or i not in removed]
    saved = [onnx.NodeProto() for _ in original]
    for copy, node in zip(saved, original):
        copy.CopyFrom(node)
    del graph.node[:]
    graph.node.extend(rewritten)
    try:
        yield len(replaced)
    finally:
        del graph.node[:]
        graph.node.extend(saved)
