"""What lowering produces: the Program codegen writes, and what lowering knows about each value and scope."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from porter.codegen.statements import Statement
from porter.dtypes import FLOATS, array_dtype_name
from porter.naming import Namer
from porter.symdims import SymValue
from porter.targets import TargetSpec


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
    producer: str | None = None  # the op type of the node that computed it in the forward (None: an input, a constant)


@dataclass
class Program:
    """Everything codegen needs to write model.py and the weights."""

    target: TargetSpec
    class_name: str
    input_names: list[str] = field(default_factory=list)
    input_descr: list[str] = field(default_factory=list)
    input_specs: list[dict] = field(default_factory=list)  # name, dtype, shape (None/str for symbolic dims)
    input_values: list[str] = field(default_factory=list)  # the ONNX names of those inputs
    init_body: list[Statement] = field(default_factory=list)  # __init__'s statements (porter.codegen.statements)
    forward_body: list[Statement] = field(default_factory=list)  # forward's / construct's, less the return
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
    linear_layout: str = "source"  # how Linear layers hold their weights (`--linear-layout`)
    # ONNX value -> the local variable holding it in forward/construct (layerwise validation taps these)
    value_map: list[dict] = field(default_factory=list)
    # the source's module classes (porter.lower.structure.ClassDef), children before their parents; [] when flat
    classes: list = field(default_factory=list)
    # local -> the variable the source assigned that value to (q_states): the renaming's first choice
    source_hints: dict[str, str] = field(default_factory=dict)


@dataclass(eq=False)
class ScopeState:
    """Lowering's state inside one source module (a class of the generated code)."""

    scope: object  # porter.lower.hierarchy.Scope
    prefix: str  # state_dict key prefix of its parameters ('layers.0.self_attn.')
    init_body: list[Statement] = field(default_factory=list)
    forward_body: list[Statement] = field(default_factory=list)
    locals: Namer = field(default_factory=Namer)
    attrs: Namer = field(default_factory=Namer)
    const_cache: dict[str, str] = field(default_factory=dict)
    bindings: dict[str, str] = field(default_factory=dict)  # value -> its expression here
    inputs: list[str] = field(default_factory=list)  # values passed in by the caller, in order
    params: list[str] = field(default_factory=list)  # the forward's parameter names for them
    weight_keys: list[str] = field(default_factory=list)  # state_dict keys declared here
    hints: dict[str, str] = field(default_factory=dict)  # local -> the source's variable for its value
    # values this module's forward has assigned so far from its own nodes, in order:
    # where a size can be read from (`hidden_states.shape[0]`) besides its inputs
    computed: list[str] = field(default_factory=list)
