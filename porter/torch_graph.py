"""What torch.onnx's graph says about the PyTorch source: each node's module path (name_scopes metadata),
the made-up names of weights it pre-transposed, and torch's Linear where the exporter split it into
MatMul + Add. Lowering names values and layers from these facts; `porter weights` maps checkpoints by them.
"""

from __future__ import annotations

import re

import onnx

# Value names an exporter made up (torch.onnx's val_123 / onnx::MatMul_123, numbered temporaries):
# worth less to a reader than the module path recorded in the node's metadata.
MACHINE_NAME = re.compile(r"^(val_\d+|onnx::|_v_\d+|\d+$)")


def readable_hint(node: onnx.NodeProto, value: str) -> str:
    """A variable name for a value the exporter numbered (val_158): its source module and op
    (layers_0_self_attn_concat); other names (the model's own, or torch's `linear_3`) stay as they are."""
    if not MACHINE_NAME.match(value):
        return value
    module = source_module(node)
    return f"{module}.{node.op_type.lower()}" if module else value


def linear_weights(graph: onnx.GraphProto) -> dict[str, str]:
    """{initializer: '<module>.weight'} for the made-up names of torch.onnx's pre-transposed Linear weights."""
    initializers = {i.name for i in graph.initializer}
    found = {}
    for node in graph.node:
        weight = node.input[1] if len(node.input) > 1 else ""
        if weight in initializers and MACHINE_NAME.match(weight) and from_aten_linear(node):
            module = source_module(node)
            if module:
                found[weight] = f"{module}.weight"
    return found


def linear_biases(graph: onnx.GraphProto) -> dict[str, tuple[str, str]]:
    """MatMul(x, W) + b with constant W [in, out] and b [out], the MatMul read by that Add alone, both from
    the same source module: torch's Linear as the exporter writes it."""
    constants = {i.name: i for i in graph.initializer}
    readers: dict[str, list[onnx.NodeProto]] = {}
    for node in graph.node:
        for name in node.input:
            readers.setdefault(name, []).append(node)
    outputs = {vi.name for vi in graph.output}
    found = {}
    for node in graph.node:
        if node.op_type != "MatMul" or len(node.input) != 2 or node.input[1] not in constants:
            continue
        weight = constants[node.input[1]]
        users = readers.get(node.output[0], [])
        if len(weight.dims) != 2 or len(users) != 1 or node.output[0] in outputs or users[0].op_type != "Add":
            continue
        add = users[0]
        bias = [name for name in add.input if name != node.output[0]]
        if len(bias) != 1 or bias[0] not in constants or list(constants[bias[0]].dims) != [weight.dims[1]]:
            continue
        if constants[bias[0]].data_type != weight.data_type or name_scopes(add) != name_scopes(node):
            continue
        found[node.output[0]] = (add.output[0], bias[0])
    return found


def name_scopes(node: onnx.NodeProto) -> str | None:
    return next((p.value for p in node.metadata_props if p.key == "pkg.torch.onnx.name_scopes"), None)


def from_aten_linear(node: onnx.NodeProto) -> bool:
    return any(p.key == "pkg.torch.onnx.fx_node" and "aten.linear" in p.value for p in node.metadata_props)


def source_module(node: onnx.NodeProto) -> str:
    """The innermost source module of a node, from torch.onnx's name_scopes metadata ('' if none)."""
    for prop in node.metadata_props:
        if prop.key == "pkg.torch.onnx.name_scopes":
            scopes = [s.strip(" '\"") for s in prop.value.strip("[]").split(",")]
            scopes = [s for s in scopes if s and "empty_nn_module_stack" not in s]  # torch's filler scope
            # the last scope is the op itself (linear, conv2d): the module is the one before it
            return scopes[-2] if len(scopes) >= 2 else ""
    return ""


_STACK_TRACE = "pkg.torch.onnx.stack_trace"
# `q_states = ...`, `q_pass, q_rot = ...`, `x: Tensor = ...`; not `self.x = ...`, `x[0] = ...`, `x += ...`
_ASSIGNMENT = re.compile(r"^\s*([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s*(?::[^=]+)?=(?!=)")


def source_variables(graph: onnx.GraphProto) -> dict[str, str]:
    """{value: the variable the source assigned it to}, from the line of source code each node came from
    (torch.onnx's stack_trace metadata): the nodes of one line in one module call make one statement, and
    the values that leave it are what `q_states = ...` or `q_pass, q_rot = ...` names. The line is read
    as text, never run; codegen uses a name only as a sanitized identifier."""
    groups: dict[tuple[str, str, str], list[onnx.NodeProto]] = {}
    for node in graph.node:
        trace = next((p.value for p in node.metadata_props if p.key == _STACK_TRACE), "")
        lines = [line for line in trace.splitlines() if line.strip()]
        if len(lines) >= 2:  # the innermost frame: 'File "x.py", line 7, in forward', then its code line
            groups.setdefault((_module_scopes(node), lines[-2], lines[-1]), []).append(node)
    readers: dict[str, set[int]] = {}
    for node in graph.node:
        for name in node.input:
            readers.setdefault(name, set()).add(id(node))
    graph_outputs = {vi.name for vi in graph.output}
    found: dict[str, str] = {}
    for (_, _, code), nodes in groups.items():
        match = _ASSIGNMENT.match(code)
        if match is None:
            continue
        targets = [t.strip() for t in match.group(1).split(",")]
        members = {id(n) for n in nodes}
        leaving = [
            out
            for node in nodes
            for out in node.output
            if out and (out in graph_outputs or readers.get(out, set()) - members)
        ]
        # the line's result is what its last node computes (values that also leave earlier are sizes the
        # exporter shares with other lines); a line the exporter split into several results names them all
        last = [out for out in nodes[-1].output if out]
        if len(last) == len(targets):
            found.update(zip(last, targets))
        elif len(leaving) == len(targets):
            found.update(zip(leaving, targets))
    return found


def _module_scopes(node: onnx.NodeProto) -> str:
    """The module calls around a node (its name_scopes less the op itself, which is the last entry)."""
    scopes = name_scopes(node) or ""
    return scopes.rsplit(",", 1)[0] if "," in scopes else ""


# torch.onnx's fx_node metadata of an embedding lookup:
# "... call_function[target=torch.ops.aten.embedding.default](args = (%w, %ids, 0), kwargs = {})"
_EMBEDDING_CALL = re.compile(r"aten\.embedding\.default\]\(args = \((.*)\), kwargs = \{(.*)\}\)$", re.S)
_EMBEDDING_ARGS = ("weight", "indices", "padding_idx", "scale_grad_by_freq", "sparse")


def embedding_arguments(node: onnx.NodeProto) -> dict[str, str] | None:
    """The arguments of the aten.embedding call a node was made from, as the exporter printed them
    ({"weight": "%p_embed_weight", "indices": "%input_ids", "padding_idx": "0"}); None when the node's
    metadata does not record one. Only the forward's value is in the ONNX graph: padding_idx (a row
    that gets no gradient) and scale_grad_by_freq live here alone."""
    for prop in node.metadata_props:
        if prop.key != "pkg.torch.onnx.fx_node":
            continue
        call = _EMBEDDING_CALL.search(prop.value.strip())
        if call is None:
            return None
        args = dict(zip(_EMBEDDING_ARGS, (a.strip() for a in call.group(1).split(",") if a.strip())))
        for item in call.group(2).split(","):
            key, sep, value = item.partition(":")
            if sep:
                args[key.strip(" '\"")] = value.strip()
        return args
    return None
