"""Lowering: walk the ONNX graph once, ask the target's registry for each node, collect a Program.

Emitters (in op_maps/<target>/) see one `NodeContext` per node. It gives them the node's inputs as
source expressions, constant inputs as numpy arrays, attributes (each read marks it handled), and a
way to declare layers, helpers and statements. After an emitter returns, any attribute it did not
read makes the node refused: an attribute porter does not understand never silently changes numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import onnx
import onnx.numpy_helper

from porter.codegen.literals import array_literal, py_literal
from porter.dtypes import FLOATS, array_dtype_name, onnx_dtype_name
from porter.errors import InvalidModel, UnsupportedOp
from porter.folding import FOLD_INPUT_LIMIT, FOLD_OUTPUT_LIMIT, NEVER_FOLD, fold_node, reads_trainable
from porter.frontends.onnx_source import tensor_array
from porter.fusion import FUSED_OPSET_KEY
from porter.graphs import live_nodes
from porter.naming import Namer, identifier
from porter.plugins import POINTER
from porter.symdims import ABSENT, SymValue, from_const, propagate, shape_of
from porter.targets import TargetSpec
from porter.torch_graph import (
    MACHINE_NAME,
    linear_biases,
    linear_weights,
    readable_hint,
    source_module,
    source_variables,
)

# Constants up to this many elements are written inline in the code; bigger ones become weights.
INLINE_CONST_LIMIT = 16
# A non-persistent buffer of the source (not in its state_dict) up to this size is a literal in __init__.
NONPERSISTENT_LITERAL_LIMIT = 1 << 16
# A constant the exporter made (not in the source's state_dict) up to this size is a literal; larger ones
# (weights the exporter rewrote, such as MoE experts it transposed) stay non-trainable buffers in the weights.
EXPORTER_LITERAL_LIMIT = 64

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

    @property
    def is_weight(self) -> bool:
        """A float initializer with more than one element: declared as a parameter, never inlined; the
        module tree places it on the module that uses it."""
        float_ = self.const is not None and array_dtype_name(self.const) in FLOATS  # bfloat16's numpy kind is 'V'
        return self.is_initializer and float_ and self.const.size > 1

    sym: SymValue | None = None  # a small int tensor whose elements are known as shape expressions


@dataclass
class Program:
    """Everything codegen needs to write model.py and the weights."""

    target: TargetSpec
    class_name: str
    input_names: list[str] = field(default_factory=list)
    input_descr: list[str] = field(default_factory=list)
    input_specs: list[dict] = field(default_factory=list)  # name, dtype, shape (None/str for symbolic dims)
    input_values: list[str] = field(default_factory=list)  # the ONNX names of those inputs
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
    # the source's module classes (porter.structure.ClassDef), children before their parents; [] when flat
    classes: list = field(default_factory=list)
    # local -> the variable the source assigned that value to (q_states): the renaming's first choice
    source_hints: dict[str, str] = field(default_factory=dict)


@dataclass(eq=False)
class ScopeState:
    """Lowering's state inside one source module (a class of the generated code)."""

    scope: object  # porter.hierarchy.Scope
    prefix: str  # state_dict key prefix of its parameters ('layers.0.self_attn.')
    init_lines: list[str] = field(default_factory=list)
    forward_lines: list[str] = field(default_factory=list)
    locals: Namer = field(default_factory=Namer)
    attrs: Namer = field(default_factory=Namer)
    const_cache: dict[str, str] = field(default_factory=dict)
    bindings: dict[str, str] = field(default_factory=dict)  # value -> its expression here
    inputs: list[str] = field(default_factory=list)  # values passed in by the caller, in order
    params: list[str] = field(default_factory=list)  # the forward's parameter names for them
    weight_keys: list[str] = field(default_factory=list)  # state_dict keys declared here
    hints: dict[str, str] = field(default_factory=dict)  # local -> the source's variable for its value


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
        self.bias_taken = False

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
        raw = self.raw_sym(i)
        return self._low.bind_sym(raw) if raw is not None else None

    def raw_sym(self, i: int) -> SymValue | None:
        """Input i's shape expressions as recorded: inside module classes their tensors are placeholders
        naming ONNX values (`sym()` writes them as the current class sees them)."""
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
        name = self.proto.output[i]
        like = self._low.linear_bias[name][0] if self.bias_taken and i == 0 else name
        return self._low.declare_output(name, readable_hint(self.proto, like), like=like)

    def is_trainable(self, i: int) -> bool:
        """Input i is a trainable parameter of the source (always true for a source that does not say):
        false for a buffer or a constant the exporter made, such as the ones standing in for the scale of
        a BatchNorm without affine parameters."""
        trainable = self._low.trainable
        return trainable is None or self.input_source_name(i) in trainable

    @property
    def training_port(self) -> bool:
        """The source was exported in train mode for a port that trains (`porter convert --train`)."""
        return self._low.training_port

    def torch_op(self) -> str:
        """The PyTorch op the exporter made this node from ('aten.embedding.default'), '' if unknown. A hint
        for choosing the idiomatic layer, never a reason to change numerics: emitters check the graph too."""
        for prop in self.proto.metadata_props:
            if prop.key == "pkg.torch.onnx.class_hierarchy":
                return prop.value.strip("[]").split(",")[-1].strip(" '\"")
        return ""

    def fused_bias(self) -> tuple[np.ndarray, str | None] | None:
        """For a MatMul by a constant weight whose only reader adds a constant vector (torch's Linear, which
        the exporter splits in two): (bias, its source name). Taking it makes the Add part of this node,
        so the emitter must then add the bias itself (a Linear layer with bias does)."""
        fused = self._low.linear_bias.get(self.proto.output[0]) if self.proto.output else None
        if fused is None:
            return None
        self.bias_taken = True
        info = self._low.values[fused[1]]
        return info.const, self._low.renamed_weights.get(info.source_name, info.source_name)

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
        hint = self._layer_hint(weight_input)
        return self._low.relative_to_scope(hint) if self._low.state is not None else hint

    def _layer_hint(self, weight_input: int | None) -> str:
        src = self.input_source_name(weight_input) if weight_input is not None else None
        if src and not MACHINE_NAME.match(src):
            for suffix in (".weight", ".bias", "_weight", "_bias"):
                if src.endswith(suffix):
                    src = src[: -len(suffix)]
                    break
            return src
        # the exporter renamed the weight (e.g. torch.onnx pre-transposes a Linear's into `val_152`):
        # the module the node came from still names the layer (layers.0.self_attn.q_proj)
        return source_module(self.proto) or src or self.name


class Lowering:
    def __init__(
        self,
        model: onnx.ModelProto,
        target: TargetSpec,
        class_name: str = "Model",
        keep_going: bool = False,
        device: str = "cpu",
        roles: dict | None = None,
    ):
        self.model = model
        # a PyTorch source says which tensors are trainable: everything else (buffers, constants the
        # exporter folded) is declared non-trainable; without it every float initializer is a parameter
        self.trainable = set(roles["parameters"]) if roles else None
        # exported in train mode (`--train`): training-mode Dropout follows the port's train()/eval()
        self.training_port = bool(roles and roles.get("training"))
        self.buffers = dict(roles.get("buffers", {})) if roles else {}
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
        self.renamed_weights = linear_weights(model.graph)
        self.transposed_sources = set(self.renamed_weights.values())
        # MatMul output -> (the Add output, the bias) for Linear layers the exporter split in two
        self.linear_bias = linear_biases(model.graph)
        # value -> the variable the source's line of code assigned it to (from torch.onnx's stack traces)
        self.source_variables = source_variables(model.graph)
        self._fused: set[str] = set()  # Add outputs a Linear layer already computes
        # the source's module tree (porter.structure): the scope being lowered, and where each value lives
        self.state: ScopeState | None = None
        self.root_scope = None
        self._sym_values: dict[str, str] = {}  # shape-expression placeholder -> ONNX value (module classes)
        self.value_home: dict[str, object] = {}
        self.producer: dict[str, onnx.NodeProto] = {}

    # ---- scopes (module classes) ---------------------------------------------------------
    def enter(self, state: ScopeState | None) -> ScopeState | None:
        """Make `state` the scope that statements, layers and names go to; returns the previous one."""
        previous = self.state
        self.state = state
        if state is not None:
            self.program.init_lines = state.init_lines
            self.program.forward_lines = state.forward_lines
            self.locals, self.attrs, self._const_cache = state.locals, state.attrs, state.const_cache
        return previous

    def relative_to_scope(self, name: str) -> str:
        """A module path or weight name relative to the scope being lowered ('' for the scope itself)."""
        path = self.state.scope.path if self.state is not None else ""
        if path and (name == path or name.startswith(path + ".")):
            return name[len(path) + 1 :]
        return name

    def value_hint(self, name: str) -> str:
        """A variable name for a value inside a module class, the same in every instance of the class:
        torch's numbered fx names lose their number (linear_8 -> linear), made-up ones name the op."""
        node = self.producer.get(name)
        if MACHINE_NAME.match(name):
            return node.op_type.lower() if node is not None else "x"
        return re.sub(r"_\d+$", "", name) or "x"

    def _scoped_expr(self, name: str, info: ValueInfo) -> str | None:
        """The value's expression inside the current scope, binding it as a forward parameter when it
        comes from outside; None when the usual rules apply (a local or a constant of this scope)."""
        state = self.state
        bound = state.bindings.get(name)
        if bound is not None:
            return bound
        home = self.value_home.get(name)
        if home is None or home is state.scope:
            if info.const is not None and (info.expr is None or home is None):
                as_weight = info.is_weight
                hint = self.renamed_weights.get(info.source_name, info.source_name) or name
                hint = self.relative_to_scope(hint) if as_weight else _const_hint(hint)
                state.bindings[name] = self.const_expr(info.const, hint, cache_key=name, as_weight=as_weight)
                return state.bindings[name]
            return None
        if home.within(state.scope):
            raise RuntimeError(f"value {name!r} of a called module is read before the call")
        param = state.locals.fresh(self.value_hint(name), "x")
        state.inputs.append(name)
        state.params.append(param)
        state.bindings[name] = param
        return param

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
        if self.state is not None:
            scoped = self._scoped_expr(name, info)
            if scoped is not None:
                return scoped
        if info.expr is None:
            if info.const is not None:
                as_weight = info.is_weight
                hint = self.renamed_weights.get(info.source_name, info.source_name) or name
                info.expr = self.const_expr(info.const, hint, cache_key=name, as_weight=as_weight)
            else:
                raise InvalidModel(f"value {name!r} has no producer")
        return info.expr

    def declare_output(self, name: str, hint: str | None = None, like: str | None = None) -> str:
        info = self.values.setdefault(name, ValueInfo(name))
        if info.expr is None:
            if self.state is not None:
                hint = self.value_hint(like or name)
            info.expr = self.locals.fresh(hint or name, "v")
            if self.state is not None and name in self.source_variables:
                self.state.hints[info.expr] = self.source_variables[name]
        return info.expr

    def _exporter_made(self, cache_key: str | None) -> bool:
        """A tensor the exporter made (MoE experts' folded transposes), in neither torch's parameters nor
        its buffers; False when the source does not say which its tensors are."""
        if self.trainable is None or cache_key not in self.values:
            return False
        source = self.values[cache_key].source_name
        source = self.renamed_weights.get(source, source)
        return source not in self.trainable and source not in self.buffers

    def const_expr(self, array: np.ndarray, hint: str, cache_key: str | None = None, as_weight: bool = False) -> str:
        if cache_key is not None and cache_key in self._const_cache:
            return self._const_cache[cache_key]
        if self.state is not None and (not as_weight or MACHINE_NAME.match(hint) or self._exporter_made(cache_key)):
            hint = _const_hint(hint)  # in a module class: one name in every instance (transpose, not transpose_4)
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
        if array.size <= INLINE_CONST_LIMIT and not as_weight:
            expr = self.target.const_tensor(array_literal(array), dtype)
        else:
            attr = self.attrs.fresh(hint, "const")
            shape = py_literal(list(array.shape))
            source = self.values[cache_key].source_name if cache_key in self.values else None
            source = self.renamed_weights.get(source, source)
            in_source_state = (
                source in self.trainable or self.buffers.get(source, False) if self.trainable is not None else True
            )
            # a non-persistent buffer is a literal up to a size; a constant the exporter made only while short
            limit = NONPERSISTENT_LITERAL_LIMIT if source in self.buffers else EXPORTER_LITERAL_LIMIT
            if not in_source_state and array.size <= limit:
                # not in torch's state_dict (a non-persistent buffer such as rotary inv_freq, or a constant the
                # exporter made): nor in the port's; its value is written in the code
                self.program.init_lines.append(self.target.constant_decl(attr, array_literal(array), dtype))
                expr = f"self.{attr}"
                if cache_key is not None:
                    self._const_cache[cache_key] = expr
                return expr
            trainable = source in self.trainable if self.trainable is not None else True
            if dtype_name in FLOATS and array.size > 0 and trainable:
                self.program.init_lines.append(self.target.parameter_decl(attr, shape, dtype))
            else:
                self.program.init_lines.append(self.target.buffer_decl(attr, shape, dtype))
            key = self._weight_key(attr)
            self.program.weights[key] = array
            source = self.renamed_weights.get(cache_key or "", hint)
            if self.state is not None and cache_key in self.values:
                source = self.renamed_weights.get(cache_key, self.values[cache_key].source_name or key)
            transform = "transpose" if source in self.transposed_sources else None
            self.program.param_map.append({"source": source, "target": key, "transform": transform})
            expr = f"self.{attr}"
        if cache_key is not None:
            self._const_cache[cache_key] = expr
        return expr

    def add_layer(self, hint: str, ctor: str, params: dict, sources: dict, transforms: dict) -> str:
        attr = self.attrs.fresh(hint, "layer")
        self.program.init_lines.append(f"self.{attr} = {ctor}")
        for pname, array in params.items():
            key = self._weight_key(f"{attr}.{pname}")
            self.program.weights[key] = np.asarray(array)
            source, transform = sources.get(pname, key), transforms.get(pname)
            if source in self.transposed_sources:  # the source holds it transposed relative to ONNX
                transform = None if transform == "transpose" else "transpose"
            self.program.param_map.append({"source": source, "target": key, "transform": transform})
        return f"self.{attr}"

    def _weight_key(self, attr: str) -> str:
        """The state_dict key of a parameter declared in the current scope."""
        if self.state is None:
            return attr
        self.state.weight_keys.append(self.state.prefix + attr)
        return self.state.prefix + attr

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
            self.program.input_values.append(vi.name)
        live = live_nodes(g)
        if not self._lower_structured(live):
            for index, node in enumerate(g.node):
                if index in live:
                    self._lower_node_or_record(node)
                self.node_index += 1
        for vi in g.output:
            if vi.name not in self.values or (self.values[vi.name].expr is None and self.values[vi.name].const is None):
                raise InvalidModel(f"graph output {vi.name!r} is never produced")
            self.program.return_exprs.append(self.expr_of(vi.name))
        if self.root_scope is not None:  # structured code reads like a hand port: values used once are inlined
            from porter.structure import inline_single_use

            inline_single_use(self.program.forward_lines, self.program.return_exprs)
        self._record_value_map(g, live)
        if self.root_scope is not None:  # names from roles and callers, not the exporter's counters
            from porter.renaming import rename_program

            rename_program(self.program)
        return self.program

    def _lower_structured(self, live: set[int]) -> bool:
        """Lower into one class per source module when the graph records the module tree."""
        from porter.structure import StructuredLowering

        return StructuredLowering(self).run(live)

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
                if self.root_scope is not None and self.value_home.get(output) is not self.root_scope:
                    # computed inside a module class: a variable of the top-level forward only as the
                    # result of a call it makes (`relu = self.encoder(...)`)
                    expr = self.state.bindings.get(output) if self.state is not None else None
                if output in self.linear_bias and self.linear_bias[output][0] in self._fused:
                    continue  # the variable holds the Linear's result with its bias: the Add's output
                if expr and expr.isidentifier() and expr in assigned and expr not in seen:
                    seen.add(expr)
                    self.program.value_map.append(
                        {"value": output, "var": expr, "node": node.name, "op_type": node.op_type, "index": index}
                    )

    def _record_initializers(self, graph: onnx.GraphProto) -> None:
        for init in graph.initializer:
            info = self.values.setdefault(init.name, ValueInfo(init.name))
            array = tensor_array(init)  # memory-mapped when the loader left it on disk
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
        opset = self.opsets[domain]
        written_in = next((p.value for p in node.metadata_props if p.key == FUSED_OPSET_KEY), None)
        if written_in is not None:  # porter.fusion wrote this op, in the opset that defines it
            opset = max(opset, int(written_in))
        if node.output and node.output[0] in self._fused:
            self.program.op_report.append({"node": label, "op_type": node.op_type, "since": 0, "mapping": "fused"})
            return
        if node.op_type == "Constant" and domain == "":  # a plugin's custom-domain "Constant" is its own op
            self._fold_constant(node, label)
            return
        mapping, since = self.target.registry.lookup(node.op_type, opset, domain, self.device)
        if since is None:
            why = (
                f"onnx defines no such operator at opset {opset}"
                if domain == ""
                else f"no mapping for operators of domain {domain!r}; {POINTER}"
            )
            raise UnsupportedOp(label, node.op_type, why, self.target.name)
        if self._try_fold(node, label, since):
            return
        if mapping is None:
            known = [m.since for m in self.target.registry.ops(domain).get(node.op_type, [])]
            why = (
                f"opset version {since} is not mapped (mapped versions: {known}); {POINTER}"
                if known
                else f"no {self.target.framework} mapping for this operator; {POINTER}"
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
        if ctx.bias_taken:
            add_output = self.linear_bias[node.output[0]][0]
            self.values.setdefault(add_output, ValueInfo(add_output)).expr = self.values[node.output[0]].expr
            self._fused.add(add_output)
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
        if not ctx.has_output(0) or node.domain not in ("", "ai.onnx"):  # ONNX's semantics only, not a plugin op's
            return
        out = self.values[node.output[0]]
        if node.op_type == "Shape":
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            start, end = int(attrs.get("start", 0)), attrs.get("end")
            dim_exprs = {}
            for spec, value in zip(self.program.input_specs, self.program.input_values):
                for axis, d in enumerate(spec["shape"]):
                    if isinstance(d, str):
                        dim_exprs.setdefault(d, f"{self._sym_base(value, spec['name'])}.shape[{axis}]")
            base = self._sym_base(node.input[0], None)
            out.sym = shape_of(base, ctx.in_shape(0), start, None if end is None else int(end), dim_exprs)
            return
        # only what a Shape fed: constants alone were folded already
        if any(self.values[name].sym is not None for name in node.input if name):
            inputs = [ctx.raw_sym(i) if ctx.has_input(i) else ABSENT for i in range(ctx.num_inputs)]
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            out.sym = propagate(node, inputs, attrs)

    def _sym_base(self, value: str, local: str | None) -> str:
        """The tensor a shape expression reads: its variable in flat code; in module classes a placeholder
        for the ONNX value, bound in whichever class the expression ends up (the tensor is then passed in)."""
        if self.state is None:
            return local if local is not None else self.expr_of(value)
        for token, known in self._sym_values.items():
            if known == value:
                return token
        token = f"__value{len(self._sym_values)}__"
        self._sym_values[token] = value
        return token

    def bind_sym(self, sym: SymValue) -> SymValue:
        """Shape expressions as the current class sees them (placeholders replaced by its own variables)."""
        if self.state is None or not self._sym_values:
            return sym

        def bind(expr: str) -> str:
            return _SYM_TOKEN.sub(lambda m: self.expr_of(self._sym_values[m.group(0)]), expr)

        dims = tuple(replace(d, expr=bind(d.expr)) for d in sym.dims)
        return replace(sym, dims=dims)

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
        if self.training_port and reads_trainable([i.source_name for i in inputs if i is not None], self.trainable):
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


_SYM_TOKEN = re.compile(r"__value\d+__")
_ASSIGNED = re.compile(r"^([A-Za-z_][A-Za-z_0-9]*(?:\s*,\s*[A-Za-z_][A-Za-z_0-9]*)*)\s*=[^=]")


def _const_hint(name: str) -> str:
    """Constants inside module classes are named for what they are, not by the exporter's counter."""
    return "const" if MACHINE_NAME.match(name) else re.sub(r"_\d+$", "", name)


def _shortest_float32(value: float) -> float:
    """ONNX float attributes are float32: 1e-05 reads better than 9.999999747378752e-06 and is the
    same float32 (the shortest decimal that rounds to it)."""
    if not np.isfinite(value):
        return float(value)
    return float(np.format_float_positional(np.float32(value), unique=True, trim="-"))


def _describe(name: str, info: ValueInfo) -> str:
    dims = "?" if info.shape is None else "[" + ", ".join(str(d) if d is not None else "?" for d in info.shape) + "]"
    return f"{identifier(name, 'x')} {info.dtype or '?'} {dims}"
