"""Lowering: walk the ONNX graph once, ask the target's registry for each node, collect a Program.

Emitters (in op_maps/<target>/) see one `NodeContext` per node. It gives them the node's inputs as
source expressions, constant inputs as numpy arrays, attributes (each read marks it handled), and a
way to declare layers, helpers and statements. After an emitter returns, any attribute it did not
read makes the node refused: an attribute porter does not understand never silently changes numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import onnx
import onnx.numpy_helper

from porter.codegen.literals import array_literal, py_literal
from porter.dtypes import array_dtype_name, onnx_dtype_name
from porter.errors import InvalidModel, UnsupportedOp
from porter.naming import Namer, identifier
from porter.symdims import ABSENT, SymValue, from_const, propagate, shape_of
from porter.targets import TargetSpec

# Constants up to this many elements are written inline in the code; bigger ones become weights.
INLINE_CONST_LIMIT = 16

_REQUIRED = object()


@dataclass
class ValueInfo:
    """What lowering knows about one ONNX value."""

    name: str
    dtype: str | None = None
    shape: tuple | None = None  # ints, symbolic names (str) or None per dim
    expr: str | None = None  # source expression once it exists
    const: np.ndarray | None = None  # when the value is known at convert time
    source_name: str | None = None  # initializer name, for the parameter map
    is_initializer: bool = False  # a weight of the source model (never inlined when it is a float tensor)
    sym: SymValue | None = None  # a small int tensor whose elements are known as shape expressions


@dataclass
class Program:
    """Everything codegen needs to write model.py and the weights."""

    target: TargetSpec
    class_name: str
    input_names: list[str] = field(default_factory=list)
    input_descr: list[str] = field(default_factory=list)
    input_specs: list[dict] = field(default_factory=list)  # name, dtype, shape (None/str for symbolic dims)
    init_lines: list[str] = field(default_factory=list)
    forward_lines: list[str] = field(default_factory=list)
    return_exprs: list[str] = field(default_factory=list)
    helpers: dict[str, str] = field(default_factory=dict)
    weights: dict[str, np.ndarray] = field(default_factory=dict)
    param_map: list[dict] = field(default_factory=list)
    op_report: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    header: str = ""
    export_info: dict = field(default_factory=dict)  # how a PyTorch source was exported, if it was
    exported_model: object = None  # the exported ONNX ModelProto for PyTorch sources
    source_model: object = None  # the ONNX ModelProto that was lowered
    eager_only: list[str] = field(default_factory=list)  # why the code must run eagerly (not compiled)
    device: str = "cpu"  # the device the mapping rows were chosen for
    # ONNX value -> the local variable holding it in forward/construct (layerwise validation taps these)
    value_map: list[dict] = field(default_factory=list)


class NodeContext:
    """One node as an emitter sees it."""

    def __init__(self, lowering: Lowering, node: onnx.NodeProto, since: int, opset: int):
        self._low = lowering
        self.proto = node
        self.op_type = node.op_type
        self.name = node.name or f"{node.op_type}_{lowering.node_index}"
        self.since = since
        self.opset = opset
        self.target = lowering.target
        self._attrs = {a.name: a for a in node.attribute}
        self._used_attrs: set[str] = set()

    # ---- errors and warnings -------------------------------------------------------------
    def refuse(self, reason: str) -> UnsupportedOp:
        """Raise (and return, for `raise n.refuse(...)` readability) the refusal for this node."""
        raise UnsupportedOp(self.name, self.op_type, reason, self.target.name)

    def require_eager(self, why: str) -> None:
        """The emitted code reads tensor values in Python: it cannot be compiled into a static graph."""
        self._low.program.eager_only.append(f"node {self.name!r} ({self.op_type}): {why}")

    def warn(self, message: str) -> None:
        self._low.program.warnings.append(f"node {self.name!r} ({self.op_type}): {message}")

    # ---- attributes ----------------------------------------------------------------------
    def has_attr(self, name: str) -> bool:
        return name in self._attrs

    def attr(self, name: str, default: Any = _REQUIRED) -> Any:
        """The attribute's Python value; marks it handled. Tensors come back as numpy arrays."""
        self._used_attrs.add(name)
        if name not in self._attrs:
            if default is _REQUIRED:
                self.refuse(f"required attribute {name!r} is missing")
            return default
        a = self._attrs[name]
        if a.ref_attr_name:
            self.refuse(f"attribute {name!r} refers to a function attribute; only plain graphs are supported")
        value = onnx.helper.get_attribute_value(a)
        if a.type == onnx.AttributeProto.FLOAT:
            return _shortest_float32(value)
        if a.type == onnx.AttributeProto.FLOATS:
            return [_shortest_float32(v) for v in value]
        if isinstance(value, bytes):
            return value.decode("utf-8", errors="replace")
        if isinstance(value, onnx.TensorProto):
            return onnx.numpy_helper.to_array(value)
        if isinstance(value, list) and value and isinstance(value[0], bytes):
            return [v.decode("utf-8", errors="replace") for v in value]
        if isinstance(value, list):
            return list(value)
        return value

    def subgraph(self, name: str, input_exprs: list[str]) -> tuple[list[str], list[str]]:
        """Lower the graph attribute `name` with its inputs bound to `input_exprs`.

        Returns (statement lines to place in the body, the body's output expressions).
        """
        self._used_attrs.add(name)
        if name not in self._attrs or not self._attrs[name].HasField("g"):
            self.refuse(f"graph attribute {name!r} is missing")
        graph = self._attrs[name].g
        if len(input_exprs) != len(graph.input):
            self.refuse(f"{name} takes {len(graph.input)} inputs, the node provides {len(input_exprs)}")
        return self._low.lower_subgraph(graph, input_exprs)

    def subgraph_inputs(self, name: str) -> list[str]:
        """The names of a graph attribute's inputs (for readable loop variables)."""
        return [vi.name for vi in self._attrs[name].g.input] if name in self._attrs else []

    def ignore_attr(self, name: str, why: str) -> None:
        """Mark an attribute as deliberately without effect on the numbers (say why)."""
        del why
        self._used_attrs.add(name)

    def unused_attrs(self) -> list[str]:
        return sorted(set(self._attrs) - self._used_attrs)

    # ---- inputs --------------------------------------------------------------------------
    @property
    def num_inputs(self) -> int:
        return len(self.proto.input)

    @property
    def num_outputs(self) -> int:
        return len(self.proto.output)

    def has_input(self, i: int) -> bool:
        return i < len(self.proto.input) and self.proto.input[i] != ""

    def has_output(self, i: int) -> bool:
        return i < len(self.proto.output) and self.proto.output[i] != ""

    def info(self, i: int) -> ValueInfo:
        return self._low.values[self.proto.input[i]]

    def x(self, i: int) -> str:
        """Source expression for input i (a variable, a weight, or an inline constant)."""
        if not self.has_input(i):
            self.refuse(f"input {i} is required here but missing")
        return self._low.expr_of(self.proto.input[i])

    def xs(self) -> list[str]:
        return [self.x(i) for i in range(self.num_inputs) if self.has_input(i)]

    def const(self, i: int) -> np.ndarray | None:
        """Input i's value if it is known at convert time (initializer or Constant), else None."""
        if not self.has_input(i):
            return None
        return self._low.values[self.proto.input[i]].const

    def const_list(self, i: int) -> list | None:
        c = self.const(i)
        return None if c is None else c.reshape(-1).tolist()

    def sym(self, i: int) -> SymValue | None:
        """Input i's elements as shape expressions (`[x.shape[0], 8]`) when they are constants or shape
        arithmetic on symbolic dims, else None: a shape a compiler accepts, where .tolist() would not do."""
        if not self.has_input(i):
            return None
        info = self._low.values[self.proto.input[i]]
        return info.sym if info.sym is not None else from_const(info.const)

    def require_const(self, i: int, what: str) -> np.ndarray:
        c = self.const(i)
        if c is None:
            self.refuse(f"{what} (input {i}) must be a constant for this target")
        return c

    def in_dtype(self, i: int) -> str | None:
        if not self.has_input(i):
            return None
        return self._low.values[self.proto.input[i]].dtype

    def in_shape(self, i: int) -> tuple | None:
        if not self.has_input(i):
            return None
        return self._low.values[self.proto.input[i]].shape

    def in_rank(self, i: int) -> int | None:
        s = self.in_shape(i)
        return None if s is None else len(s)

    def out_dtype(self, i: int = 0) -> str | None:
        if not self.has_output(i):
            return None
        return self._low.values[self.proto.output[i]].dtype

    def out_shape(self, i: int = 0) -> tuple | None:
        if not self.has_output(i):
            return None
        return self._low.values[self.proto.output[i]].shape

    def input_source_name(self, i: int) -> str | None:
        """The source model's name for a weight input (a state_dict key for PyTorch sources)."""
        name = self._low.values[self.proto.input[i]].source_name if self.has_input(i) else None
        return self._low.renamed_weights.get(name, name)

    # ---- building code ---------------------------------------------------------------------
    def lit(self, value: Any) -> str:
        return py_literal(value)

    def dtype(self, name: str) -> str:
        """Source expression of a canonical dtype in the target framework (refuses unknown ones)."""
        if name in self.target.unsupported_dtypes:
            self.refuse(f"dtype {name}: {self.target.unsupported_dtypes[name]}")
        if name not in self.target.dtype_exprs:
            self.refuse(f"dtype {name} has no {self.target.framework} equivalent")
        return self.target.dtype_exprs[name]

    def out(self, i: int = 0) -> str:
        """The variable name output i is assigned to."""
        return self._low.declare_output(self.proto.output[i], readable_hint(self.proto, self.proto.output[i]))

    def tmp(self, hint: str = "t") -> str:
        return self._low.locals.fresh(f"{hint}")

    def stmt(self, line: str) -> None:
        self._low.program.forward_lines.append(line)

    def tensor(self, array: np.ndarray, hint: str = "const") -> str:
        """Expression for a convert-time constant tensor: inline when small, a weight when large."""
        return self._low.const_expr(np.asarray(array), hint)

    def layer(
        self,
        hint: str,
        ctor: str,
        params: dict[str, np.ndarray],
        sources: dict[str, str] | None = None,
        transforms: dict[str, str] | None = None,
    ) -> str:
        """Declare `self.<name> = ctor` in __init__ with its weights; return `self.<name>`."""
        return self._low.add_layer(hint, ctor, params, sources or {}, transforms or {})

    def helper(self, name: str, source: str) -> str:
        """Make a module-level helper function available; returns its name."""
        existing = self._low.program.helpers.get(name)
        if existing is not None and existing != source:
            raise ValueError(f"helper {name} defined twice with different bodies")
        self._low.program.helpers[name] = source
        return name

    def layer_hint(self, weight_input: int | None = None) -> str:
        """A readable attribute name for a layer: the weight's module path, else the node name."""
        src = self.input_source_name(weight_input) if weight_input is not None else None
        if src and not _MACHINE_NAME.match(src):
            for suffix in (".weight", ".bias", "_weight", "_bias"):
                if src.endswith(suffix):
                    src = src[: -len(suffix)]
                    break
            return src
        # the exporter renamed the weight (e.g. torch.onnx pre-transposes a Linear's into `val_152`):
        # the module the node came from still names the layer (layers.0.self_attn.q_proj)
        return source_module(self.proto) or src or self.name


# Value names an exporter made up (torch.onnx's val_123 / onnx::MatMul_123, numbered temporaries):
# worth less to a reader than the module path recorded in the node's metadata.
_MACHINE_NAME = re.compile(r"^(val_\d+|onnx::|_v_\d+|\d+$)")


def readable_hint(node: onnx.NodeProto, value: str) -> str:
    """A variable name for a value the exporter numbered (val_158): its source module and op
    (layers_0_self_attn_concat); other names (the model's own, or torch's `linear_3`) stay as they are."""
    if not _MACHINE_NAME.match(value):
        return value
    module = source_module(node)
    return f"{module}.{node.op_type.lower()}" if module else value


def _linear_weights(graph: onnx.GraphProto) -> dict[str, str]:
    """{initializer: '<module>.weight'} for the made-up names of torch.onnx's pre-transposed Linear weights."""
    initializers = {i.name for i in graph.initializer}
    found = {}
    for node in graph.node:
        weight = node.input[1] if len(node.input) > 1 else ""
        if weight in initializers and _MACHINE_NAME.match(weight) and _from_aten_linear(node):
            module = source_module(node)
            if module:
                found[weight] = f"{module}.weight"
    return found


def _from_aten_linear(node: onnx.NodeProto) -> bool:
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


class Lowering:
    def __init__(
        self,
        model: onnx.ModelProto,
        target: TargetSpec,
        class_name: str = "Model",
        keep_going: bool = False,
        device: str = "cpu",
    ):
        self.model = model
        self.target = target
        self.graph = model.graph
        self.opsets = {(imp.domain or ""): imp.version for imp in model.opset_import}
        if "ai.onnx" in self.opsets:
            self.opsets.setdefault("", self.opsets["ai.onnx"])
        self.values: dict[str, ValueInfo] = {}
        self.locals = Namer()
        self.attrs = Namer()
        self.program = Program(target=target, class_name=class_name)
        self.node_index = 0
        self._const_cache: dict[str, str] = {}
        # keep_going: record refusals and carry on (for `porter inspect`); the code is then not usable.
        self.keep_going = keep_going
        self.device = device  # picks device-specific rows of the target's table (CPU by default)
        self.problems: list[UnsupportedOp] = []
        # torch.onnx stores a Linear's weight pre-transposed under a made-up name (val_152): initializer ->
        # the module's parameter (layers.0.self_attn.q_proj.weight), so `porter weights` can place it
        self.renamed_weights = _linear_weights(model.graph)
        self.transposed_sources = set(self.renamed_weights.values())

    # ---- values ----------------------------------------------------------------------------
    def _record_value_infos(self, graph: onnx.GraphProto) -> None:
        for vi in list(graph.value_info) + list(graph.input) + list(graph.output):
            info = self.values.setdefault(vi.name, ValueInfo(vi.name))
            t = vi.type
            if t.WhichOneof("value") != "tensor_type":
                continue
            tt = t.tensor_type
            if tt.elem_type:
                info.dtype = onnx_dtype_name(tt.elem_type)
            if tt.HasField("shape"):
                info.shape = tuple(
                    d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in tt.shape.dim
                )

    def expr_of(self, name: str) -> str:
        info = self.values.get(name)
        if info is None:
            raise InvalidModel(f"value {name!r} is used before it is produced")
        if info.expr is None:
            if info.const is not None:
                as_weight = info.is_initializer and info.const.dtype.kind == "f" and info.const.size > 1
                hint = self.renamed_weights.get(info.source_name, info.source_name) or name
                info.expr = self.const_expr(info.const, hint, cache_key=name, as_weight=as_weight)
            else:
                raise InvalidModel(f"value {name!r} has no producer")
        return info.expr

    def declare_output(self, name: str, hint: str | None = None) -> str:
        info = self.values.setdefault(name, ValueInfo(name))
        if info.expr is None:
            info.expr = self.locals.fresh(hint or name, "v")
        return info.expr

    def const_expr(self, array: np.ndarray, hint: str, cache_key: str | None = None, as_weight: bool = False) -> str:
        if cache_key is not None and cache_key in self._const_cache:
            return self._const_cache[cache_key]
        dtype_name = array_dtype_name(array)
        if dtype_name in self.target.unsupported_dtypes:
            raise UnsupportedOp(
                hint, "Constant", f"dtype {dtype_name}: {self.target.unsupported_dtypes[dtype_name]}", self.target.name
            )
        if dtype_name not in self.target.dtype_exprs:
            raise UnsupportedOp(
                hint, "Constant", f"dtype {dtype_name} has no {self.target.framework} equivalent", self.target.name
            )
        dtype = self.target.dtype_exprs[dtype_name]
        if dtype_name == "bfloat16" and (array.size > INLINE_CONST_LIMIT or as_weight):
            raise UnsupportedOp(hint, "Constant", "bfloat16 weights are not supported yet", self.target.name)
        if array.size <= INLINE_CONST_LIMIT and not as_weight:
            expr = self.target.const_tensor(array_literal(array), dtype)
        else:
            attr = self.attrs.fresh(hint, "const")
            shape = py_literal(list(array.shape))
            if array.dtype.kind == "f" and array.size > 0:
                self.program.init_lines.append(self.target.parameter_decl(attr, shape, dtype))
            else:
                self.program.init_lines.append(self.target.buffer_decl(attr, shape, dtype))
            self.program.weights[attr] = array
            source = self.renamed_weights.get(cache_key or "", hint)
            transform = "transpose" if source in self.transposed_sources else None
            self.program.param_map.append({"source": source, "target": attr, "transform": transform})
            expr = f"self.{attr}"
        if cache_key is not None:
            self._const_cache[cache_key] = expr
        return expr

    def add_layer(self, hint: str, ctor: str, params: dict, sources: dict, transforms: dict) -> str:
        attr = self.attrs.fresh(hint, "layer")
        self.program.init_lines.append(f"self.{attr} = {ctor}")
        for pname, array in params.items():
            key = f"{attr}.{pname}"
            self.program.weights[key] = np.asarray(array)
            source, transform = sources.get(pname, key), transforms.get(pname)
            if source in self.transposed_sources:  # the source holds it transposed relative to ONNX
                transform = None if transform == "transpose" else "transpose"
            self.program.param_map.append({"source": source, "target": key, "transform": transform})
        return f"self.{attr}"

    # ---- the walk --------------------------------------------------------------------------
    def run(self) -> Program:
        g = self.graph
        self._record_value_infos(g)
        self._record_initializers(g)
        initializer_names = {i.name for i in g.initializer}
        for vi in g.input:
            if vi.name in initializer_names:
                continue
            info = self.values[vi.name]
            if info.dtype in self.target.unsupported_dtypes:
                raise UnsupportedOp(
                    vi.name,
                    "graph input",
                    f"dtype {info.dtype}: {self.target.unsupported_dtypes[info.dtype]}",
                    self.target.name,
                )
            info.expr = self.locals.fresh(vi.name, "x")
            self.program.input_names.append(info.expr)
            self.program.input_descr.append(_describe(vi.name, info))
            self.program.input_specs.append({"name": info.expr, "dtype": info.dtype, "shape": list(info.shape or [])})
        live = live_nodes(g)
        for index, node in enumerate(g.node):
            if index in live:
                self._lower_node_or_record(node)
            self.node_index += 1
        self._record_value_map(g, live)
        for vi in g.output:
            if vi.name not in self.values or (self.values[vi.name].expr is None and self.values[vi.name].const is None):
                raise InvalidModel(f"graph output {vi.name!r} is never produced")
            self.program.return_exprs.append(self.expr_of(vi.name))
        return self.program

    def _record_value_map(self, graph: onnx.GraphProto, live: set[int]) -> None:
        """Which local variable holds each top-level node output (first producer wins for aliases)."""
        assigned = set()
        for line in self.program.forward_lines:  # top-level statements only: indented ones are in blocks
            match = _ASSIGNED.match(line)
            if match:
                assigned.update(v.strip() for v in match.group(1).split(","))
        seen = set(self.program.input_names)
        for index, node in enumerate(graph.node):
            if index not in live:
                continue
            for output in node.output:
                expr = self.values.get(output).expr if output in self.values else None
                if expr and expr.isidentifier() and expr in assigned and expr not in seen:
                    seen.add(expr)
                    self.program.value_map.append(
                        {"value": output, "var": expr, "node": node.name, "op_type": node.op_type, "index": index}
                    )

    def _record_initializers(self, graph: onnx.GraphProto) -> None:
        for init in graph.initializer:
            info = self.values.setdefault(init.name, ValueInfo(init.name))
            array = onnx.numpy_helper.to_array(init)
            info.const = array
            info.dtype = onnx_dtype_name(init.data_type)
            info.shape = tuple(array.shape)
            info.source_name = init.name
            info.is_initializer = True

    def lower_subgraph(self, graph: onnx.GraphProto, input_exprs: list[str]) -> tuple[list[str], list[str]]:
        """Lower a control-flow body: (statement lines, output expressions). Outer values stay visible."""
        saved = self.program.forward_lines
        self.program.forward_lines = lines = []
        try:
            self._record_value_infos(graph)
            self._record_initializers(graph)
            for vi, expr in zip(graph.input, input_exprs):
                info = self.values.setdefault(vi.name, ValueInfo(vi.name))
                info.expr, info.const = expr, None
            for node in graph.node:
                self._lower_node(node)
                self.node_index += 1
            outputs = [self.expr_of(vi.name) for vi in graph.output]
        finally:
            self.program.forward_lines = saved
        return lines, outputs

    def _lower_node_or_record(self, node: onnx.NodeProto) -> None:
        if not self.keep_going:
            self._lower_node(node)
            return
        try:
            self._lower_node(node)
        except UnsupportedOp as exc:
            self.problems.append(exc)
            for out in node.output:
                if out and self.values.get(out, ValueInfo(out)).expr is None:
                    self.declare_output(out)

    def _lower_node(self, node: onnx.NodeProto) -> None:
        domain = node.domain if node.domain != "ai.onnx" else ""
        label = node.name or f"{node.op_type}_{self.node_index}"
        if domain not in self.opsets:
            raise UnsupportedOp(
                label, node.op_type, f"domain {domain!r} is not imported by the model", self.target.name
            )
        if domain != "":
            raise UnsupportedOp(
                label, node.op_type, f"operators of domain {domain!r} are not supported", self.target.name
            )
        opset = self.opsets[domain]
        if node.op_type == "Constant":
            self._fold_constant(node, label)
            return
        mapping, since = self.target.registry.lookup(node.op_type, opset, domain, self.device)
        if since is None:
            raise UnsupportedOp(
                label, node.op_type, f"onnx defines no such operator at opset {opset}", self.target.name
            )
        if self._try_fold(node, label, since):
            return
        if mapping is None:
            known = [m.since for m in self.target.registry.ops().get(node.op_type, [])]
            why = (
                f"opset version {since} is not mapped (mapped versions: {known})"
                if known
                else f"no {self.target.framework} mapping for this operator"
            )
            raise UnsupportedOp(label, node.op_type, why, self.target.name)
        ctx = NodeContext(self, node, since, opset)
        self._check_dtypes(ctx, mapping)
        if mapping.deviation:
            ctx.warn(f"known deviation: {mapping.deviation} (see docs/known-deviations.md)")
        for out in node.output:
            if out:
                self.values.setdefault(out, ValueInfo(out))
        result = mapping.emit(ctx)
        leftover = ctx.unused_attrs()
        if leftover:
            ctx.refuse(f"attribute(s) {', '.join(leftover)} not handled by the {self.target.name} mapping")
        self._assign_results(ctx, result)
        self._record_sym(ctx)
        self.program.op_report.append(
            {
                "node": label,
                "op_type": node.op_type,
                "since": since,
                "mapping": f"{mapping.module}.{mapping.emit.__name__}",
            }
        )

    def _record_sym(self, ctx: NodeContext) -> None:
        """Follow shape arithmetic on symbolic dims (porter.symdims) so shape consumers can skip the tensor."""
        node = ctx.proto
        if not ctx.has_output(0):
            return
        out = self.values[node.output[0]]
        if node.op_type == "Shape":
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            start, end = int(attrs.get("start", 0)), attrs.get("end")
            dim_exprs = {}
            for spec in self.program.input_specs:
                for axis, d in enumerate(spec["shape"]):
                    if isinstance(d, str):
                        dim_exprs.setdefault(d, f"{spec['name']}.shape[{axis}]")
            out.sym = shape_of(ctx.x(0), ctx.in_shape(0), start, None if end is None else int(end), dim_exprs)
            return
        # only what a Shape fed: constants alone were folded already
        if any(self.values[name].sym is not None for name in node.input if name):
            inputs = [ctx.sym(i) if ctx.has_input(i) else ABSENT for i in range(ctx.num_inputs)]
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            out.sym = propagate(node, inputs, attrs)

    def _fold_static_shape(self, node: onnx.NodeProto, label: str, since: int, info: ValueInfo | None) -> bool:
        """Shape/Size of a value whose shape is fully static is a constant: shape arithmetic then folds
        too, and the generated code reads like hand-written code (literal shapes)."""
        if info is None or info.shape is None or not all(isinstance(d, int) for d in info.shape):
            return False
        dims = np.array(info.shape, dtype=np.int64)
        if node.op_type == "Size":
            value = np.array(int(np.prod(dims)), dtype=np.int64)
        else:
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            start, end = int(attrs.get("start", 0)), attrs.get("end")
            value = dims[start : None if end is None else int(end)]
        out = self.values.setdefault(node.output[0], ValueInfo(node.output[0]))
        out.const, out.dtype, out.shape = value, "int64", tuple(value.shape)
        out.source_name = identifier(node.output[0], "shape")
        self.program.op_report.append({"node": label, "op_type": node.op_type, "since": since, "mapping": "folded"})
        return True

    def _try_fold(self, node: onnx.NodeProto, label: str, since: int) -> bool:
        """Evaluate a node at convert time when all its inputs are constants (ONNX's reference semantics)."""
        if node.op_type in NEVER_FOLD or any(
            a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS) for a in node.attribute
        ):
            return False
        inputs = [self.values.get(name) if name else None for name in node.input]
        if node.op_type in ("Shape", "Size") and self._fold_static_shape(node, label, since, inputs[0]):
            return True
        if not inputs or any(name and (info is None or info.const is None) for name, info in zip(node.input, inputs)):
            return False
        if sum(info.const.size for info in inputs if info is not None) > FOLD_INPUT_LIMIT:
            return False
        outputs = fold_node(node, [None if i is None else i.const for i in inputs], self.opsets)
        if outputs is None or any(o.size > FOLD_OUTPUT_LIMIT for o in outputs):
            return False
        for name, array in zip(node.output, outputs):
            if not name:
                continue
            info = self.values.setdefault(name, ValueInfo(name))
            info.const = array
            info.dtype = array_dtype_name(array)
            info.shape = tuple(array.shape)
            info.source_name = identifier(name, "const")
        self.program.op_report.append({"node": label, "op_type": node.op_type, "since": since, "mapping": "folded"})
        return True

    def _check_dtypes(self, ctx: NodeContext, mapping) -> None:
        names = [n for n in list(ctx.proto.input) + list(ctx.proto.output) if n]
        for name in names:
            dtype = self.values.get(name, ValueInfo(name)).dtype
            if dtype is not None and dtype in self.target.unsupported_dtypes:
                ctx.refuse(f"dtype {dtype} of {name!r}: {self.target.unsupported_dtypes[dtype]}")
            if dtype is not None and dtype not in self.target.dtype_exprs:
                ctx.refuse(f"dtype {dtype} of {name!r} has no {self.target.framework} equivalent")
        if mapping.dtypes is not None and ctx.has_input(0):
            dtype = ctx.in_dtype(0)
            if dtype is not None and dtype not in mapping.dtypes:
                ctx.refuse(
                    f"input dtype {dtype} is not supported by the {self.target.name} kernel "
                    f"(supported: {', '.join(sorted(mapping.dtypes))})"
                )

    def _assign_results(self, ctx: NodeContext, result) -> None:
        outputs = [o for o in ctx.proto.output]
        if result is None:
            for o in outputs:
                if o and self.values[o].expr is None:
                    raise RuntimeError(f"emitter for {ctx.op_type} did not assign output {o!r}")
            return
        if isinstance(result, str):
            if len(outputs) == 1:
                self.program.forward_lines.append(f"{ctx.out(0)} = {result}")
                return
            targets = [ctx.out(i) if o else "_" for i, o in enumerate(outputs)]
            self.program.forward_lines.append(f"{', '.join(targets)} = {result}")
            return
        for i, expr in enumerate(result):
            if i < len(outputs) and outputs[i] and expr is not None:
                self.program.forward_lines.append(f"{ctx.out(i)} = {expr}")

    def _fold_constant(self, node: onnx.NodeProto, label: str) -> None:
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        if len(attrs) != 1:
            raise UnsupportedOp(
                label, "Constant", f"expected exactly one value attribute, got {sorted(attrs)}", self.target.name
            )
        ((kind, value),) = attrs.items()
        if kind == "value":
            array = onnx.numpy_helper.to_array(value)
            dtype = onnx_dtype_name(value.data_type)
        elif kind == "value_float" or kind == "value_floats":
            array, dtype = np.array(value, dtype=np.float32), "float32"
        elif kind == "value_int" or kind == "value_ints":
            array, dtype = np.array(value, dtype=np.int64), "int64"
        else:
            raise UnsupportedOp(label, "Constant", f"constant attribute {kind!r} is not supported", self.target.name)
        info = self.values.setdefault(node.output[0], ValueInfo(node.output[0]))
        info.const = array
        info.dtype = dtype
        info.shape = tuple(array.shape)
        info.source_name = identifier(node.output[0], "const")
        self.program.op_report.append({"node": label, "op_type": "Constant", "since": 0, "mapping": "folded"})


_ASSIGNED = re.compile(r"^([A-Za-z_][A-Za-z_0-9]*(?:\s*,\s*[A-Za-z_][A-Za-z_0-9]*)*)\s*=[^=]")


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
                stack.extend(_outer_reads(sub))
    return live


def _outer_reads(graph: onnx.GraphProto) -> set[str]:
    defined = {i.name for i in graph.input} | {i.name for i in graph.initializer}
    defined |= {o for node in graph.node for o in node.output}
    reads = set()
    for node in graph.node:
        reads.update(i for i in node.input if i and i not in defined)
        for attr in node.attribute:
            for sub in [attr.g] if attr.HasField("g") else list(attr.graphs):
                reads.update(r for r in _outer_reads(sub) if r not in defined)
    return reads


# Ops whose value must not be computed at convert time: random draws, and ops with side structure.
NEVER_FOLD = frozenset(
    {
        "RandomNormal",
        "RandomNormalLike",
        "RandomUniform",
        "RandomUniformLike",
        "Bernoulli",
        "Multinomial",
        "If",
        "Loop",
        "Scan",
        "SequenceConstruct",
        "SequenceEmpty",
        "Optional",
        "ImageDecoder",
    }
)
FOLD_INPUT_LIMIT = 1 << 22  # elements across a node's constant inputs
FOLD_OUTPUT_LIMIT = 1 << 22  # a folded output bigger than this stays a run-time op (it would bloat the weights)


def fold_node(node: onnx.NodeProto, arrays: list, opsets: dict[str, int]) -> list[np.ndarray] | None:
    """Run one node with onnx.reference on constant inputs; None when it cannot be evaluated."""
    import warnings

    from onnx.reference import ReferenceEvaluator

    feeds, graph_inputs, names = {}, [], []
    for i, (name, array) in enumerate(zip(node.input, arrays)):
        if not name:
            names.append("")
            continue
        feed = f"in{i}"
        names.append(feed)
        feeds[feed] = array
        graph_inputs.append(
            onnx.helper.make_tensor_value_info(
                feed, onnx.helper.np_dtype_to_tensor_dtype(array.dtype), list(array.shape)
            )
        )
    outs = [f"out{i}" if o else "" for i, o in enumerate(node.output)]
    folded = onnx.helper.make_node(node.op_type, names, outs, domain=node.domain)
    folded.attribute.extend(node.attribute)
    graph = onnx.helper.make_graph(
        [folded], "fold", graph_inputs, [onnx.helper.make_empty_tensor_value_info(o) for o in outs if o]
    )
    model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid(d, v) for d, v in opsets.items()])
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            results = ReferenceEvaluator(model).run(None, feeds)
    except Exception:  # anything onnx.reference cannot do simply stays a run-time op
        return None
    arrays_out = [np.asarray(r) for r in results]
    if any(a.dtype.kind in "OUSV" for a in arrays_out):
        return None
    full = iter(arrays_out)
    return [next(full) if o else np.zeros(0) for o in node.output]


def _shortest_float32(value: float) -> float:
    """ONNX float attributes are float32: 1e-05 reads better than 9.999999747378752e-06 and is the
    same float32 (the shortest decimal that rounds to it)."""
    if not np.isfinite(value):
        return float(value)
    return float(np.format_float_positional(np.float32(value), unique=True, trim="-"))


def _describe(name: str, info: ValueInfo) -> str:
    dims = "?" if info.shape is None else "[" + ", ".join(str(d) if d is not None else "?" for d in info.shape) + "]"
    return f"{identifier(name, 'x')} {info.dtype or '?'} {dims}"
