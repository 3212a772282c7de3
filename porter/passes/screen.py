"""What the pass pipeline decides on the protos, without onnx_ir: the keys and limits the passes share, each
fusion's op, opset and markers, and the screen that says whether a graph is read into onnx_ir at all.

Kept free of onnx_ir so that converting a graph no pass would change (a zoo CNN) never imports it: onnx_ir
is about 60 ms of a fresh `porter convert`, and its sympy was most of the rest (porter.deferred).
"""

from __future__ import annotations

import math

import onnx

FUSED_OPSET_KEY = "porter.opset"  # the opset a fused node is written in (the model's own may predate the op)
CONSTANT_LIMIT = 1024  # elements; a bigger constant is a weight, never read by a pattern
SCOPE_KEY = "pkg.torch.onnx.name_scopes"  # a torch export's module path of each node

# fused op -> (the opset that defines it, op types every match contains: a graph without one is not read
# into onnx_ir for that fusion). The fusion passes take their since and markers from here.
FUSIONS = {
    "RMSNormalization": (23, ("Reciprocal",)),
    "Gelu": (20, ("Erf", "Tanh")),
    "Swish": (24, ("Sigmoid",)),
}


def fusion_enabled(registry, op_type: str) -> bool:
    """The target maps the fused op (else the decomposition stays: it is what the port can run)."""
    return registry.lookup(op_type, FUSIONS[op_type][0])[0] is not None


def worth_reading(graph: onnx.GraphProto, registry) -> bool:
    """Whether some pass may change the graph, judged on the protos: reading a graph into onnx_ir costs
    about a fifth of lowering it (a CNN from the zoo), so a graph with no Identity, no op a mapped fusion
    starts from, no transpose or squeeze of a transpose and no two nodes alike in one module is left as it is. (Dead nodes alone are no reason:
    lowering skips them.)"""
    markers = {m for op_type, (_, found_in) in FUSIONS.items() if fusion_enabled(registry, op_type) for m in found_in}
    outputs = {vi.name for vi in graph.output}
    transposed: set[str] = set()  # outputs of Transpose nodes: a Transpose of one is composed
    concatenated: set[str] = set()  # outputs of Concat nodes: a GatherND's index tuples are built by one
    scalars = {init.name for init in graph.initializer if not init.dims} | {
        out for node in graph.node if node.op_type == "Constant" for out in node.output
    }
    alike: dict[tuple, list[onnx.NodeProto]] = {}
    for node in graph.node:
        if node.domain not in ("", "ai.onnx"):
            continue
        if node.op_type in markers or (node.op_type == "Identity" and not outputs.intersection(node.output)):
            return True
        if node.op_type in ("And", "Or") and any(name in scalars for name in node.input):
            return True  # with a 0-d bool constant, perhaps the op's neutral element: IdentityPass decides
        if node.op_type in ("Transpose", "Squeeze", "Reshape") and node.input and node.input[0] in transposed:
            return True  # composed, or an axis added (or axes merged), moved and taken back: the pass decides
        if node.op_type == "Transpose":
            transposed.update(node.output)
        if node.op_type == "Concat":
            concatenated.update(node.output)
        if node.op_type == "GatherND" and len(node.input) > 1 and node.input[1] in concatenated:
            return True  # an index grid of aranges, perhaps: IndexGridPass decides
        # same op on the same inputs first (cheap, rare); then attributes and module scope
        group = alike.setdefault((node.op_type, tuple(node.input)), [])
        if any(_likeness(other) == _likeness(node) for other in group):
            return True
        group.append(node)
    return False


def value_shapes(graph: onnx.GraphProto) -> dict[str, tuple]:
    """{value: its shape} from the graph's value_info, inputs and outputs (each dim an int, a symbolic dim's
    name, or None): what onnx_ir is not given to read (porter.passes.pipeline) for the passes that need it."""
    shapes = {}
    for vi in (*graph.value_info, *graph.input, *graph.output):
        tensor = vi.type.tensor_type
        if vi.type.WhichOneof("value") == "tensor_type" and tensor.HasField("shape"):
            dims = tensor.shape.dim
            shapes[vi.name] = tuple(d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in dims)
    for init in graph.initializer:
        shapes[init.name] = tuple(int(d) for d in init.dims)
    return shapes


def _likeness(node: onnx.NodeProto):
    """What two nodes that ScopedCsePass may merge share besides op and inputs (a coarse key: the pass
    decides)."""
    attributes = tuple((a.name, None if _bulky(a) else a.SerializeToString()) for a in node.attribute)
    scope = next((p.value for p in node.metadata_props if p.key == SCOPE_KEY), "").rpartition(",")[0]
    return attributes, scope


def _bulky(attr: onnx.AttributeProto) -> bool:
    """A subgraph or a large tensor: not compared by the screen (CSE merges neither)."""
    if attr.type == onnx.AttributeProto.TENSOR:
        return _elements(attr.t) > CONSTANT_LIMIT
    return attr.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS)


def _elements(tensor: onnx.TensorProto) -> int:
    return math.prod(max(int(dim), 0) for dim in tensor.dims)
