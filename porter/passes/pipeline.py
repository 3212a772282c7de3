"""The pass pipeline: the ONNX graph as lowering should see it, built on onnx_ir and its pass manager.

`optimized(model, registry)` reads the model into onnx_ir, runs porter's passes (Identity elimination,
fusion into the ops the target maps, common subexpressions within one module) and onnx_ir's dead-code
removal, and, while inside, gives the model the rewritten node list. On exit the original nodes come back:
the model is also what validation reads, and it must stay the source's graph. A graph none of the passes
would change (judged on the protos, in milliseconds, by porter.passes.screen) is not read into onnx_ir at
all, and onnx_ir is not even imported.

Weights are never copied or read: onnx_ir wraps each initializer's TensorProto (or its external-data
reference) without touching its bytes, only the nodes are written back, and the passes read constants of at
most CONSTANT_LIMIT elements (a scalar, an axes list). The initializers of the model stay as they are, and
every initializer a rewritten node reads is checked, by name, to still be there.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import onnx

from porter.deferred import import_onnx_ir
from porter.errors import PorterError
from porter.graphs import node_reads
from porter.passes.screen import value_shapes, worth_reading

if TYPE_CHECKING:
    import onnx_ir as ir


def porter_passes(registry, shapes: dict[str, tuple] | None = None) -> list[ir.passes.PassBase]:
    """In order: Identity elimination, fusion (before CSE, which could give a pattern's intermediate a
    second reader), transpose composition, index grids (`shapes`: porter.passes.screen.value_shapes), common
    subexpressions per module scope, then dead code. The pass modules (onnx_ir, with its sympy deferred) are
    imported here, when a graph is to be read, not with porter."""
    import_onnx_ir()
    from onnx_ir.passes.common import RemoveUnusedNodesPass

    from porter.passes.cse import ScopedCsePass
    from porter.passes.fusion_activation import GeluPass, SiluPass
    from porter.passes.fusion_norm import RmsNormPass
    from porter.passes.identity import IdentityPass
    from porter.passes.index_grid import IndexGridPass
    from porter.passes.transpose import TransposePass

    return [
        IdentityPass(),
        RmsNormPass(registry),
        GeluPass(registry),
        SiluPass(registry),
        TransposePass(shapes),
        IndexGridPass(shapes or {}),
        ScopedCsePass(),
        RemoveUnusedNodesPass(),
    ]


@contextlib.contextmanager
def optimized(model: onnx.ModelProto, registry) -> Iterator[dict[str, int]]:
    """While inside, model.graph's nodes are the optimized ones; yields {pass name: rewrites} for porter's
    own passes (empty when nothing changed). Restored on exit, even on an error."""
    opsets = {(imp.domain or ""): imp.version for imp in model.opset_import}
    onnx_domain = "" in opsets or "ai.onnx" in opsets
    # sparse initializers: lowering refuses them; the passes leave such a graph to it
    if not onnx_domain or model.graph.sparse_initializer or not worth_reading(model.graph, registry):
        yield {}
        return
    ir = import_onnx_ir()
    # the exporter's shapes, for the rewrites proved on them (index grids, a transpose with axes merged)
    passes = porter_passes(registry, value_shapes(model.graph))
    with _without_value_info(model.graph):
        ir_model = ir.serde.deserialize_model(model)
    result = ir.passes.PassManager(passes)(ir_model)
    counts = {type(p).__name__: p.count for p in passes if getattr(p, "count", 0)}
    if not result.modified:
        yield counts
        return
    nodes = [ir.serde.serialize_node(node) for node in result.model.graph]
    check_reads(nodes, model.graph)
    graph = model.graph
    saved = onnx.GraphProto()
    saved.node.extend(graph.node)  # copies of the NodeProtos: the repeated field is about to be cleared
    del graph.node[:]
    graph.node.extend(nodes)
    try:
        yield counts
    finally:
        del graph.node[:]
        graph.node.extend(saved.node)


@contextlib.contextmanager
def _without_value_info(graph: onnx.GraphProto) -> Iterator[None]:
    """The graph without its value_info while onnx_ir reads it: no pass needs the inferred types, and reading
    them is a quarter of the pipeline's time on a torch export (symbolic shapes on every value)."""
    saved = onnx.GraphProto()
    saved.value_info.extend(graph.value_info)
    del graph.value_info[:]
    try:
        yield
    finally:
        graph.value_info.extend(saved.value_info)


def check_reads(nodes: list[onnx.NodeProto], graph: onnx.GraphProto) -> None:
    """Every value a rewritten node reads is a graph input, an initializer that is still in the model, or
    the output of a node before it (a pass that dropped or renamed one would otherwise lower to a
    NameError in the generated code)."""
    defined = {vi.name for vi in graph.input} | {init.name for init in graph.initializer}
    for node in nodes:
        missing = sorted(name for name in node_reads(node) if name not in defined)
        if missing:
            raise PorterError(
                f"graph passes: node {node.name or node.op_type!r} reads {missing[0]!r}, which no input, "
                "initializer or earlier node defines (a bug in porter's passes; please report it)"
            )
        defined.update(out for out in node.output if out)
