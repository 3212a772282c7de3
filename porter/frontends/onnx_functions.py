"""Model-local ONNX functions, inlined with the call tree kept: each call becomes a module of the port.

An ONNX model can define functions of its own (`model.functions`) and call them as nodes of their domain:
that is how exporters write a repeated block once. porter has no mapping for a model's own domain, so the
calls are inlined here, before shape inference: every node of a function body is copied into the graph with
its values renamed after the call (`block0/m`), its attribute references resolved from the call's
attributes (or the function's defaults), and calls inside the body inlined in turn.

Each copied node records where it came from the way torch.onnx records a module call
(`pkg.torch.onnx.name_scopes` / `class_hierarchy`, porter.lower.hierarchy): the call's node name is the
module path and the function's name its class. So the port has one class per function, named after it,
with an instance per call, exactly as a PyTorch source gets one class per module. A graph that already
carries that metadata keeps its own, and a function whose body holds subgraphs (If, Loop) is inlined by
onnx's own inliner, without a call tree.
"""

from __future__ import annotations

import json

import onnx
import onnx.inliner

from porter.naming import identifier

_SCOPES = "pkg.torch.onnx.name_scopes"
_CLASSES = "pkg.torch.onnx.class_hierarchy"
# On an inlined node: {value the call passed in: the call's path and the function's parameter}, so a weight
# passed to a function names the layer after the parameter (`block0.w`), the same in every call
_ARGUMENTS = "porter.function_arguments"
# Calls nested deeper than this are a recursive definition (ONNX forbids them; a hostile file may not)
MAX_DEPTH = 32


class FunctionError(ValueError):
    """A function call that cannot be inlined (named in the message)."""


def inline_functions(model: onnx.ModelProto) -> bool:
    """Inline every call of a model-local function in the main graph; True when there were any."""
    if not model.functions:
        return False
    functions = {(f.domain, f.name): f for f in model.functions}
    if any(_has_subgraph(f) for f in model.functions):
        inlined = onnx.inliner.inline_local_functions(model)
        model.graph.CopyFrom(inlined.graph)
        del model.functions[:]
        return True
    record_tree = not any(p.key == _SCOPES for node in model.graph.node for p in node.metadata_props)
    graph_class = identifier(model.graph.name or "Model", "Model")
    nodes: list[onnx.NodeProto] = []
    for node in model.graph.node:
        if (node.domain, node.op_type) in functions:
            nodes += _expand(node, functions, [("", graph_class)] if record_tree else None, "", 0)
        else:
            nodes.append(node)
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    del model.functions[:]
    used = {node.domain for node in nodes} | {""}
    kept = [imp for imp in model.opset_import if imp.domain in used or imp.domain == "ai.onnx"]
    del model.opset_import[:]
    model.opset_import.extend(kept)
    return True


def function_arguments(node: onnx.NodeProto) -> dict[str, str]:
    """For a node inlined from a function: {value passed in by the call: `call path.parameter name`}."""
    for prop in node.metadata_props:
        if prop.key == _ARGUMENTS:
            try:
                found = json.loads(prop.value)
            except ValueError:
                return {}
            return {k: v for k, v in found.items() if isinstance(k, str) and isinstance(v, str)}
    return {}


def _has_subgraph(function: onnx.FunctionProto) -> bool:
    return any(
        a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS)
        for node in function.node
        for a in node.attribute
    )


def _expand(call: onnx.NodeProto, functions: dict, chain: list | None, prefix: str, depth: int) -> list:
    """The nodes of `call`'s function body, renamed into the calling graph."""
    function = functions[(call.domain, call.op_type)]
    if depth >= MAX_DEPTH:
        raise FunctionError(f"function {call.op_type!r}: calls nest deeper than {MAX_DEPTH} (a recursive definition?)")
    # the call's own name (an inlined call's carries its caller's path, `outer/proj`, which `path` holds)
    name = call.name.rsplit("/", 1)[-1] or f"{call.op_type}_{depth}"
    path = f"{prefix}.{name}" if prefix else name
    scope = f"{path}/"
    rename = {formal: actual for formal, actual in zip(function.input, call.input)}
    rename.update({formal: actual for formal, actual in zip(function.output, call.output)})
    for formal in list(function.input)[len(call.input) :]:
        rename[formal] = ""  # an optional input the call leaves out
    arguments = {formal for formal, actual in zip(function.input, call.input) if actual}
    attributes = {a.name: a for a in function.attribute_proto}
    attributes.update({a.name: a for a in call.attribute})
    inner_chain = None if chain is None else [*chain, (path, f"{function.domain}.{function.name}")]
    nodes = []
    for index, template in enumerate(function.node):
        node = onnx.NodeProto()
        node.CopyFrom(template)
        node.name = f"{scope}{template.name or f'{template.op_type}_{index}'}"
        node.input[:] = [_renamed(value, rename, scope) for value in template.input]
        node.output[:] = [_renamed(value, rename, scope) for value in template.output]
        _resolve_attributes(node, attributes, function.name)
        if (node.domain, node.op_type) in functions:
            nodes += _expand(node, functions, inner_chain, path, depth + 1)
            continue
        if inner_chain is not None:
            entries = [*inner_chain, (node.name, node.op_type)]
            del node.metadata_props[:]
            node.metadata_props.add(key=_SCOPES, value=repr([p for p, _ in entries]))
            node.metadata_props.add(key=_CLASSES, value=repr([c for _, c in entries]))
            passed = {rename[v]: f"{path}.{v}" for v in template.input if v in arguments}
            if passed:
                node.metadata_props.add(key=_ARGUMENTS, value=json.dumps(passed))
        nodes.append(node)
    return nodes


def _renamed(value: str, rename: dict[str, str], scope: str) -> str:
    if not value:
        return ""
    return rename.get(value, f"{scope}{value}")


def _resolve_attributes(node: onnx.NodeProto, attributes: dict, function: str) -> None:
    """Replace `ref_attr_name` references by the call's attribute (renamed), dropping those it leaves unset."""
    resolved = []
    for attr in node.attribute:
        if not attr.ref_attr_name:
            resolved.append(attr)
            continue
        given = attributes.get(attr.ref_attr_name)
        if given is None:
            continue  # neither the call nor the function sets it: the op's own default applies
        if given.type != attr.type:
            raise FunctionError(
                f"function {function!r}: attribute {attr.name!r} refers to {attr.ref_attr_name!r}, which the call "
                "gives with another type"
            )
        copy = onnx.AttributeProto()
        copy.CopyFrom(given)
        copy.name = attr.name
        resolved.append(copy)
    del node.attribute[:]
    node.attribute.extend(resolved)
