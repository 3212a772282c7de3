"""`porter inspect`: day-one readiness. Every op, the mapping it would use, and everything that blocks.

It runs the same graph passes and lowering as `convert` but records each refusal and carries on, so one run
lists all the problems in a model, with the module path each one sits in, and the ops as convert maps them
(a fused GELU as Gelu, not its erf arithmetic). Nothing is written.
"""

from __future__ import annotations

import collections

import onnx

from porter.errors import UnsupportedOp
from porter.lower import Lowering
from porter.passes import optimized
from porter.targets import get_target


def module_path(node: onnx.NodeProto) -> str:
    """The source module a node came from, when the exporter recorded it (node name or metadata)."""
    from porter.torch_graph import source_module

    module = source_module(node)  # torch.onnx dynamo: the innermost module of name_scopes
    if module:
        return module
    meta = {p.key: p.value for p in node.metadata_props}
    if meta.get("namespace"):
        return meta["namespace"]
    if node.name.startswith("/"):  # the TorchScript exporter's /encoder/layer.0/... node names
        return node.name.rsplit("/", 1)[0].strip("/").replace("/", ".")
    return ""


def inspect_model(source, target: str, dynamic=None) -> dict:
    """Every op, its mapping, and every problem, for an ONNX file or a PyTorch factory spec / module."""
    from porter.convert import to_onnx

    model, _info = to_onnx(source, dynamic=dynamic)
    spec = get_target(target)
    with optimized(model, spec.registry):  # the graph convert lowers: the same fusions, the same refusals
        lowering = Lowering(model, spec, keep_going=True)
        try:
            program = lowering.run()
            graph_problem = None
        except UnsupportedOp as exc:  # a graph-level refusal (e.g. an input dtype) stops even inspect
            program, graph_problem = lowering.program, exc
        nodes_by_name = {n.name or f"{n.op_type}_{i}": n for i, n in enumerate(model.graph.node)}
    problems = [_problem(p, nodes_by_name) for p in lowering.problems]
    if graph_problem is not None:
        problems.insert(0, _problem(graph_problem, nodes_by_name))
    refused_by_op = collections.Counter(p["op_type"] for p in problems)
    rows: dict[tuple, dict] = {}
    for r in program.op_report:
        key = (r["op_type"], r["since"], r["mapping"])
        rows.setdefault(key, {"op_type": r["op_type"], "since": r["since"], "mapping": r["mapping"], "count": 0})
        rows[key]["count"] += 1
    for op_type, count in refused_by_op.items():
        rows[(op_type, None, None)] = {"op_type": op_type, "since": None, "mapping": "REFUSED", "count": count}
    dynamic = sorted({d for info in lowering.values.values() if info.shape for d in info.shape if isinstance(d, str)})
    return {
        "target": target,
        "opsets": {imp.domain or "ai.onnx": imp.version for imp in model.opset_import},
        "nodes": len(model.graph.node),
        "inputs": program.input_descr,
        "ops": sorted(rows.values(), key=lambda r: (r["op_type"], str(r["since"]))),
        "problems": problems,
        "warnings": program.warnings,
        "dynamic_dims": dynamic,
        "convertible": not problems,
    }


def _problem(exc: UnsupportedOp, nodes: dict) -> dict:
    node = nodes.get(exc.node_name)
    return {
        "node": exc.node_name,
        "op_type": exc.op_type,
        "reason": exc.reason,
        "module": module_path(node) if node is not None else "",
    }
