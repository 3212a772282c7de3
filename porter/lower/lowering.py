"""Lowering: walk the ONNX graph once, ask the target's registry for each node, collect a Program.

Each node is handed to its emitter through a porter.lower.context.NodeContext; what the emitters write is
collected as statements (porter.codegen.statements) into the Program (porter.lower.program), one class per
source module where the graph records the module tree (porter.lower.structure). Constants are folded here
(ONNX's reference semantics) and small ones become literals; weights are declared on the module that owns them.
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace

import numpy as np
import onnx
import onnx.numpy_helper

from porter.codegen.literals import array_literal, py_literal
from porter.codegen.statements import Expr, Statement
from porter.codegen.tidy import tidy
from porter.dtypes import FLOATS, array_dtype_name, onnx_dtype_name
from porter.errors import InvalidModel, UnsupportedOp
from porter.folding import FOLD_INPUT_LIMIT, FOLD_OUTPUT_LIMIT, NEVER_FOLD, fold_node, reads_trainable
from porter.frontends.onnx_source import tensor_array
from porter.graphs import live_nodes
from porter.lower.context import NodeContext
from porter.lower.hierarchy import module_classes
from porter.lower.program import Program, ScopeState, ValueInfo
from porter.naming import Namer, identifier
from porter.passes import FUSED_OPSET_KEY
from porter.plugins import POINTER
from porter.symdims import ABSENT, Dim, SymValue, monomial, propagate, shape_of
from porter.targets import TargetSpec
from porter.torch_graph import (
    MACHINE_NAME,
    linear_biases,
    linear_weights,
    source_variables,
)

# Constants up to this many elements are written inline in the code; bigger ones become weights.
INLINE_CONST_LIMIT = 16
# A non-persistent buffer of the source (not in its state_dict) up to this size is a literal in __init__.
NONPERSISTENT_LITERAL_LIMIT = 1 << 16
# A constant the exporter made (not in the source's state_dict) up to this size is a literal; larger ones
# (weights the exporter rewrote, such as MoE experts it transposed) stay non-trainable buffers in the weights.
EXPORTER_LITERAL_LIMIT = 64


class Lowering:
    def __init__(
        self,
        model: onnx.ModelProto,
        target: TargetSpec,
        class_name: str = "Model",
        keep_going: bool = False,
        device: str = "cpu",
        roles: dict | None = None,
        linear_layout: str = "source",
    ):
        self.model = model
        # "source": Linear layers hold their weights as the source holds them (a PyTorch checkpoint loads as
        # it is); "framework": as the framework's own Linear does (paddle.nn.Linear's [in, out])
        self.linear_layout = linear_layout
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
        # the source's module tree (porter.lower.structure): the scope being lowered, and where each value lives
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
            self.program.init_body = state.init_body
            self.program.forward_body = state.forward_body
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
                return self._bind_constant(name, info)
            return None
        if home.within(state.scope):
            raise RuntimeError(f"value {name!r} of a called module is read before the call")
        if self._recomputable(name, info, 0):
            return self._recompute(name, info)
        param = state.locals.fresh(self.value_hint(name), "x")
        state.inputs.append(name)
        state.params.append(param)
        state.bindings[name] = param
        return param

    def _recomputable(self, name: str, info: ValueInfo, depth: int) -> bool:
        """Whether the current class can compute `name` itself rather than take it as an argument: a literal
        the port writes in its code (an exporter-made constant, a short non-persistent buffer), or a value the
        source computed in a module of this class from sizes and such literals alone, which the exporter
        computes once and shares between the instances (DeepSeek's MoE experts' `arange(tokens * top_k)`):
        each instance then computes it, as the source does, and all have the forward of the first."""
        if info.const is not None:
            return self._written_as_literal(info)
        if info.sym is not None and depth > 0:
            return True  # a size: the emitters read it as `x.shape[i]` (porter.symdims)
        node = self.producer.get(name)
        if (
            node is None
            or depth >= _RECOMPUTE_DEPTH
            or node.op_type not in _RECOMPUTED_OPS
            or node.domain not in ("", "ai.onnx")
            or self.state.scope.class_path not in module_classes(node)
        ):
            return False
        for value in node.input:
            if not value or value in self.state.bindings or self.value_home.get(value) is self.state.scope:
                continue
            known = self.values.get(value)
            if known is None or not self._recomputable(value, known, depth + 1):
                return False
        return True

    def _written_as_literal(self, info: ValueInfo) -> bool:
        """A constant the port writes as a literal, in no state_dict: inline, or a short tensor the source's
        state_dict does not hold (const_expr's rule)."""
        if not info.is_weight and info.const.size <= INLINE_CONST_LIMIT:
            return True
        if self.trainable is None or not info.is_initializer:
            return False
        source = self.renamed_weights.get(info.source_name, info.source_name)
        if source in self.trainable or self.buffers.get(source, False):
            return False
        return info.const.size <= (NONPERSISTENT_LITERAL_LIMIT if source in self.buffers else EXPORTER_LITERAL_LIMIT)

    def _recompute(self, name: str, info: ValueInfo) -> str:
        """`name` computed in the current class (see _recomputable): its node lowered here once more, its
        inputs in turn as they are found here."""
        state = self.state
        if info.const is not None:
            return self._bind_constant(name, info)
        node = self.producer[name]
        outputs = [out for out in node.output if out]
        saved = {out: (self.values[out].expr, self.value_home.get(out)) for out in outputs}
        reported = len(self.program.op_report)
        try:
            for out in outputs:  # lowered as a value of this class, under a name of its own
                self.values[out].expr = None
                self.value_home[out] = state.scope
            self._lower_node(node)
            for out in outputs:
                state.bindings[out] = self.values[out].expr
        finally:
            del self.program.op_report[reported:]  # the node is reported once, where the exporter has it
            for out, (expr, home) in saved.items():
                self.values[out].expr = expr
                self.value_home[out] = home
        return state.bindings[name]

    def _bind_constant(self, name: str, info: ValueInfo) -> str:
        """A constant as the current class holds it: a weight under its name relative to the class, any other
        under one name in every instance; bound, so the class declares it once."""
        hint = self._const_name(name, info)
        hint = self.relative_to_scope(hint) if info.is_weight else _const_hint(hint)
        self.state.bindings[name] = self.const_expr(info.const, hint, cache_key=name, as_weight=info.is_weight)
        return self.state.bindings[name]

    def _const_name(self, name: str, info: ValueInfo) -> str:
        """What a convert-time constant is called: a weight by its source name; a value folded at convert time
        (rotary cos/sin tables, masks of static shape) by the variable the source's line assigned it to,
        else by the exporter's name for it."""
        if not info.is_initializer and name in self.source_variables:
            return self.source_variables[name]
        return self.renamed_weights.get(info.source_name, info.source_name) or name

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
                hint = self._const_name(name, info)
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
                self.program.init_body += Statement.parse(self.target.constant_decl(attr, array_literal(array), dtype))
                expr = f"self.{attr}"
                if cache_key is not None:
                    self._const_cache[cache_key] = expr
                return expr
            trainable = source in self.trainable if self.trainable is not None else True
            if dtype_name in FLOATS and array.size > 0 and trainable:
                self.program.init_body += Statement.parse(self.target.parameter_decl(attr, shape, dtype))
            else:
                self.program.init_body += Statement.parse(self.target.buffer_decl(attr, shape, dtype))
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

    def add_layer(self, hint: str, ctor: Expr, params: dict, sources: dict, transforms: dict) -> str:
        attr = self.attrs.fresh(hint, "layer")
        self.program.init_body.append(Statement.declare(attr, ctor))
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
            from porter.lower.structure import inline_single_use

            inline_single_use(self.program.forward_body, self.program.return_exprs)
        self._record_value_map(g, live)
        if self.root_scope is not None:  # names from roles and callers, not the exporter's counters
            from porter.codegen.renaming import rename_program

            rename_program(self.program)
        return self.program

    def _lower_structured(self, live: set[int]) -> bool:
        """Lower into one class per source module when the graph records the module tree."""
        from porter.lower.structure import StructuredLowering

        return StructuredLowering(self).run(live)

    def _record_value_map(self, graph: onnx.GraphProto, live: set[int]) -> None:
        """Which local variable holds each top-level node output (first producer wins for aliases)."""
        # top-level assignments only: a name assigned inside a block may not hold the value at the end
        assigned = {name for stmt in self.program.forward_body if not stmt.is_block for name in stmt.assigned}
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

    def lower_subgraph(self, graph: onnx.GraphProto, input_exprs: list[str]) -> tuple[list[Statement], list[str]]:
        """Lower a control-flow body: (its statements, output expressions). Outer values stay visible."""
        saved = self.program.forward_body
        self.program.forward_body = lines = []
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
            self.program.forward_body = saved
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
        if written_in is not None:  # a fusion pass wrote this op, in the opset that defines it
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
                self.values.setdefault(out, ValueInfo(out)).producer = node.op_type
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
        if self.state is not None:
            scope = self.state.scope
            self.state.computed += [o for o in node.output if o and self.value_home.get(o) is scope]
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
        """Shape expressions as the current class sees them (placeholders replaced by its own variables).
        A size whose tensor is not at hand in this class is read from one of the class's own tensors with
        that size (`hidden_states.shape[0]`, as a hand port writes it) before that tensor is passed in."""
        if self.state is None or not self._sym_values:
            return sym

        def own(match: re.Match) -> str:
            value, axis = self._sym_values[match.group(1)], int(match.group(2))
            shape = self.values[value].shape if value in self.values else None
            dim = shape[axis] if shape is not None and axis < len(shape) else None
            found = None if self._at_hand(value) else self._own_size(monomial(dim))
            return match.group(0) if found is None else found

        def bind(d: Dim) -> Dim:
            tokens = _SYM_TOKEN.findall(d.expr)
            if not tokens:
                return d
            expr = None
            if not all(self._at_hand(self._sym_values[t]) for t in tokens):
                expr = self._own_size(d.factors)  # the whole size (`hidden_states.shape[0] * 2`)
            if expr is None:  # each dim it reads, where this class has it; else the tensor is passed in
                expr = _SYM_SHAPE_READ.sub(own, d.expr)
                expr = _SYM_TOKEN.sub(lambda m: self.expr_of(self._sym_values[m.group(0)]), expr)
            return replace(d, expr=expr)

        return replace(sym, dims=tuple(bind(d) for d in sym.dims))

    def _at_hand(self, value: str) -> bool:
        """Whether the current class already holds `value` (passed in, or computed here)."""
        return value in self.state.bindings or self.value_home.get(value) is self.state.scope

    def _own_size(self, factors: tuple[int, tuple[str, ...]] | None) -> str | None:
        """A symbolic size (a product of named dims, `Dim.factors`) read from the current class's own tensors,
        with a dim that is that size, or divides it by an integer (`hidden_states.shape[0] * 2` for torch's
        '2*seq*batch'): of its inputs the one with the most static elements (the hidden states, not a mask or a
        router's weights, as a hand port reads them), else the first of the values it computed; None when none
        has it."""
        if factors is None or not factors[1] or factors[0] <= 0:
            return None
        state = self.state
        # (the results of its children's calls are bound here too)
        found = [read for read in (self._size_read(name, factors) for name in state.inputs) if read is not None]
        if found:
            return max(found, key=lambda read: read[0])[1]
        for name in dict.fromkeys([*state.computed, *state.bindings]):
            read = self._size_read(name, factors)
            if read is not None:
                return read[1]
        return None

    def _size_read(self, name: str, factors: tuple[int, tuple[str, ...]]) -> tuple[int, str] | None:
        """(the value's count of static elements, the expression reading the size from it) when the value is a
        variable of the current class with a dim that is the size or divides it; else None."""
        info = self.values.get(name)
        expr = self.state.bindings.get(name) or (info.expr if info is not None else None)
        if info is None or info.shape is None or not (expr and expr.isidentifier()):
            return None
        coefficient, names = factors
        for axis, dim in enumerate(info.shape):
            have = monomial(dim)
            if have is not None and have[1] == names and coefficient % have[0] == 0:
                times = coefficient // have[0]
                static = int(np.prod([d for d in info.shape if isinstance(d, int)]))
                return static, f"{expr}.shape[{axis}]" + (f" * {times}" if times != 1 else "")
        return None

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
        if reads_trainable([i.source_name for i in inputs if i is not None], self.trainable):
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
        if isinstance(result, str | ast.expr):  # one expression for all the outputs
            targets = [ctx.out(i) if o else "_" for i, o in enumerate(outputs)]
            self.emit([Statement.assign(targets[:1] if len(outputs) == 1 else targets, result)])
            return
        for i, expr in enumerate(result):
            if i < len(outputs) and outputs[i] and expr is not None:
                self.emit([Statement.assign([ctx.out(i)], expr)])

    def emit(self, statements: list[Statement]) -> None:
        """Add an emitter's statements to the body being lowered, their literals tidied (porter.codegen.tidy)."""
        self.program.forward_body.extend(tidy(stmt) for stmt in statements)

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
# What a class computes again rather than take from the module the exporter moved it to (Lowering._recompute):
# ops that make a tensor from sizes and literals or rearrange one, a few deep
_RECOMPUTED_OPS = {
    "Range",
    "ConstantOfShape",
    "Transpose",
    "Unsqueeze",
    "Squeeze",
    "Reshape",
    "Expand",
    "Cast",
    "Slice",
}
_RECOMPUTE_DEPTH = 6
_SYM_SHAPE_READ = re.compile(r"(__value\d+__)\.shape\[(\d+)\]")


def _const_hint(name: str) -> str:
    """Constants inside module classes are named for what they are, not by the exporter's counter."""
    return "const" if MACHINE_NAME.match(name) else re.sub(r"_\d+$", "", name)


def _describe(name: str, info: ValueInfo) -> str:
    dims = "?" if info.shape is None else "[" + ", ".join(str(d) if d is not None else "?" for d in info.shape) + "]"
    return f"{identifier(name, 'x')} {info.dtype or '?'} {dims}"
