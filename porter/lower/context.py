"""NodeContext: one node as an emitter in op_maps/<target>/ sees it.

It gives the emitter the node's inputs as source expressions, constant inputs as numpy arrays, attributes
(each read marks it handled), and a way to declare layers, helpers and statements. After the emitter returns,
any attribute it did not read makes the node refused (porter.lower.lowering): an attribute porter does not
understand never silently changes numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import onnx
import onnx.numpy_helper

from porter.codegen.literals import py_literal
from porter.codegen.statements import Expr, Statement
from porter.errors import UnsupportedOp
from porter.frontends.onnx_functions import function_arguments
from porter.lower.program import ValueInfo
from porter.symdims import SymValue, from_const
from porter.torch_graph import MACHINE_NAME, readable_hint, source_module

if TYPE_CHECKING:  # the walk that makes contexts imports this module
    from porter.lower.lowering import Lowering

_REQUIRED = object()


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

    def subgraph(self, name: str, input_exprs: list[str]) -> tuple[list[Statement], list[str]]:
        """Lower the graph attribute `name` with its inputs bound to `input_exprs`.

        Returns (the statements to place in the body, the body's output expressions).
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

    def producer(self, i: int) -> str | None:
        """The op type of the node whose output input i is, in the module being lowered: None for a model
        input, a constant, or a value the module's caller passes in (what the caller computed differs between
        instances of one class, and their code must read alike to be one class)."""
        if not self.has_input(i):
            return None
        self.x(i)  # a value from outside the module becomes one of its inputs here
        state = self._low.state
        if state is not None and self.proto.input[i] in state.inputs:
            return None
        return self._low.values[self.proto.input[i]].producer

    def input_source_name(self, i: int) -> str | None:
        """The source model's name for a weight input (a state_dict key for PyTorch sources)."""
        name = self._low.values[self.proto.input[i]].source_name if self.has_input(i) else None
        return self._low.renamed_weights.get(name, name)

    def source_holds_transposed(self, i: int) -> bool:
        """The source holds weight input i transposed from its ONNX layout: torch.onnx wrote a Linear's
        [out, in] weight pre-transposed, under a made-up name (val_152)."""
        if not self.has_input(i):
            return False
        return self._low.values[self.proto.input[i]].source_name in self._low.renamed_weights

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
    def linear_layout(self) -> str:
        """ "source" (Linear layers hold weights in the source's layout) or "framework" (`--linear-layout`)."""
        return self._low.linear_layout

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

    def stmt(self, text: str) -> None:
        """Add statements (an emitter's text: one line, or a whole block) to the body being lowered."""
        self._low.emit(Statement.parse(text))

    def tensor(self, array: np.ndarray, hint: str = "const") -> str:
        """Expression for a convert-time constant tensor: inline when small, a weight when large."""
        return self._low.const_expr(np.asarray(array), hint)

    def layer(
        self,
        hint: str,
        ctor: Expr,
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
        if weight_input is not None:  # a weight an ONNX function takes as an argument: its parameter's name
            argument = function_arguments(self.proto).get(self.proto.input[weight_input])
            if argument:
                return argument
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


def _shortest_float32(value: float) -> float:
    """ONNX float attributes are float32: 1e-05 reads better than 9.999999747378752e-06 and is the
    same float32 (the shortest decimal that rounds to it)."""
    if not np.isfinite(value):
        return float(value)
    return float(np.format_float_positional(np.float32(value), unique=True, trim="-"))
