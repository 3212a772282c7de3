"""Walks over an ONNX graph's structure that lowering and the module tree share."""

from __future__ import annotations

import onnx


def live_nodes(graph: onnx.GraphProto) -> set[int]:
    """Indices of the nodes the graph outputs depend on (dead code is neither emitted nor checked)."""
    producer = {out: i for i, node in enumerate(graph.node) for out in node.output if out}
    live: set[int] = set()
    stack = [vi.name for vi in graph.output]
    while stack:
        name = stack.pop()
        index = producer.get(name)
        if index is None or index in live:
            continue
        live.add(index)
        node = graph.node[index]
        stack.extend(i for i in node.input if i)
        for attr in node.attribute:  # values a subgraph reads from the outer scope
            for sub in [attr.g] if attr.HasField("g") else list(attr.graphs):
                stack.extend(outer_reads(sub))
    return live


def outer_reads(graph: onnx.GraphProto) -> set[str]:
    defined = {i.name for i in graph.input} | {i.name for i in graph.initializer}
    defined |= {o for node in graph.node for o in node.output}
    reads = set()
    for node in graph.node:
        reads.update(i for i in node.input if i and i not in defined)
        for attr in node.attribute:
            for sub in [attr.g] if attr.HasField("g") else list(attr.graphs):
                reads.update(r for r in outer_reads(sub) if r not in defined)
    return reads


def node_reads(node: onnx.NodeProto) -> set[str]:
    """The values a node reads: its inputs and what its subgraphs read from the enclosing graph."""
    reads = {i for i in node.input if i}
    for attr in node.attribute:
        for sub in [attr.g] if attr.HasField("g") else list(attr.graphs):
            reads |= outer_reads(sub)
    return reads
