"""Shape arithmetic followed at convert time as Python expressions ("symbolic dims").

torch.onnx writes a view of symbolic sizes as Shape -> Gather -> Concat -> Reshape on small int64
tensors. Read back with `.tolist()` that only runs eagerly; a compiler (paddle.jit.to_static, MindSpore
GRAPH_MODE) wants the sizes as the framework's own shape values: `x.shape[0]` is a Python int when the
model runs eagerly and the framework's symbolic dim when it is compiled. This module follows such int
tensors through the shape ops and records each element as a Python expression, so an emitter that needs
a shape writes `[input_ids.shape[0], input_ids.shape[1], -1, 8]` instead of reading a tensor.

Target-neutral: `.shape[i]` and + - * // on its elements mean the same in Paddle and MindSpore.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import onnx

# Longer int tensors are data, not shapes: they stay tensors.
MAX_ELEMENTS = 16

# An optional input the node does not have (propagate's `inputs` hold None for a present input that is
# not known symbolically).
ABSENT = object()


@dataclass(frozen=True)
class Dim:
    """One element: Python source, whether it is known to be >= 0, and an identity for equality."""

    expr: str
    nonneg: bool
    key: str  # equal keys = equal values (the ONNX dim_param, or the expression itself)
    value: int | None = None  # the int, when it is a literal
    # a product of named dims, (coefficient, sorted names): `seq * batch * 2` is (2, ('batch', 'seq')), the
    # size torch names '2*seq*batch'; lets a module read it from any tensor of its own that has that dim
    factors: tuple[int, tuple[str, ...]] | None = field(default=None, compare=False)

    @staticmethod
    def of(value: int) -> Dim:
        return Dim(str(int(value)), value >= 0, str(int(value)), int(value), (int(value), ()))


def monomial(dim_param: object) -> tuple[int, tuple[str, ...]] | None:
    """A symbolic dim's name as a product, as `Dim.factors`: torch names a flattened size 'seq*batch' or
    '2*seq*batch', an input's dim 'batch'; None for any other form ('seq + 1')."""
    if not isinstance(dim_param, str) or not dim_param:
        return None
    coefficient, names = 1, []
    for part in dim_param.replace(" ", "").split("*"):
        if part.isdigit():
            coefficient *= int(part)
        elif part.isidentifier():
            names.append(part)
        else:
            return None
    return coefficient, tuple(sorted(names))


@dataclass(frozen=True)
class SymValue:
    """A 0-d or 1-d int tensor whose elements are all known as expressions (at least one symbolic)."""

    dims: tuple[Dim, ...]
    scalar: bool = False

    def source(self, bracket: str = "[]") -> str:
        """The elements as a Python list (or tuple with bracket='()') literal."""
        parts = [d.expr for d in self.dims]
        return tuple_source(parts) if bracket == "()" else f"[{', '.join(parts)}]"


def tuple_source(parts: list[str]) -> str:
    """A Python tuple literal of the given element sources."""
    return f"({parts[0]},)" if len(parts) == 1 else f"({', '.join(parts)})"


def from_const(array: np.ndarray | None) -> SymValue | None:
    """A small int constant as literal elements (so it can mix with symbolic ones)."""
    if array is None or array.dtype.kind not in "iu" or array.ndim > 1 or array.size > MAX_ELEMENTS:
        return None
    return SymValue(tuple(Dim.of(int(v)) for v in array.reshape(-1)), scalar=array.ndim == 0)


def shape_of(expr: str, shape: tuple | None, start: int, end: int | None, dim_exprs: dict[str, str]) -> SymValue | None:
    """ONNX Shape(x)[start:end]: static dims as ints; a symbolic dim as the graph input's own dim when the
    exporter named it (dim_param 'batch' -> input_ids.shape[0]), else as `x.shape[i]`."""
    if shape is None:
        return None
    dims = []
    for axis, d in enumerate(shape):
        if isinstance(d, int):
            dims.append(Dim.of(d))
        elif isinstance(d, str) and d in dim_exprs:
            dims.append(Dim(dim_exprs[d], True, d, factors=monomial(d)))
        else:
            source = f"{expr}.shape[{axis}]"
            dims.append(Dim(source, True, d if isinstance(d, str) else source, factors=monomial(d)))
    picked = dims[slice(start, end)]
    if len(picked) > MAX_ELEMENTS:
        return None
    return SymValue(tuple(picked))


_ATOM = re.compile(r"^[\w.\[\]]+$")


def _atom(d: Dim) -> str:
    """The element as an operand of * or //: parenthesised unless it is a name, a dim or a non-negative int."""
    return d.expr if _ATOM.match(d.expr) else f"({d.expr})"


def _arith(op_type: str, a: Dim, b: Dim) -> Dim | None:
    if a.value is not None and b.value is not None:
        if op_type == "Add":
            return Dim.of(a.value + b.value)
        if op_type == "Sub":
            return Dim.of(a.value - b.value)
        if op_type == "Mul":
            return Dim.of(a.value * b.value)
        if b.value == 0:
            return None
        return Dim.of(int(np.trunc(a.value / b.value)))  # ONNX integer Div truncates
    if op_type == "Add":
        if b.value == 0:
            return a
        if a.value == 0:
            return b
        expr = f"{a.expr} + {b.expr}" if (b.value is None or b.value >= 0) else f"{a.expr} - {-b.value}"
        return Dim(expr, a.nonneg and b.nonneg, expr)
    if op_type == "Sub":
        if b.value == 0:
            return a
        expr = f"{a.expr} - {_atom(b)}"
        return Dim(expr, False, expr)
    if op_type == "Mul":
        if b.value == 1:
            return a
        if a.value == 1:
            return b
        expr = f"{_atom(a)} * {_atom(b)}"
        factors = None
        if a.factors is not None and b.factors is not None:
            factors = (a.factors[0] * b.factors[0], tuple(sorted(a.factors[1] + b.factors[1])))
        return Dim(expr, a.nonneg and b.nonneg, expr, factors=factors)
    # Div: Python's // floors and ONNX truncates; they agree when neither side is negative
    if b.value == 1:
        return a
    if not (a.nonneg and (b.value is not None and b.value > 0 or b.value is None and b.nonneg)):
        return None
    expr = f"{_atom(a)} // {_atom(b)}"
    return Dim(expr, True, expr)


def _broadcast(values: list[SymValue]) -> list[tuple[Dim, ...]] | None:
    size = max(len(v.dims) for v in values)
    out = []
    for v in values:
        if len(v.dims) == size:
            out.append(v.dims)
        elif len(v.dims) == 1:
            out.append(v.dims * size)
        else:
            return None
    return out


_INT_TYPES = {onnx.TensorProto.INT64, onnx.TensorProto.INT32}


def propagate(node: onnx.NodeProto, inputs: list, attrs: dict) -> SymValue | None:
    """The first output of `node` as a SymValue when its inputs are (inputs: SymValue or None each;
    only nodes that do not compute Shape itself). None when it is not plain shape arithmetic."""
    op_type = node.op_type
    if not inputs or inputs[0] is None or inputs[0] is ABSENT:
        return None
    first = inputs[0]
    if op_type == "Identity":
        return first
    if op_type == "Cast":
        return first if attrs.get("to") in _INT_TYPES else None
    if op_type in ("Squeeze", "Reshape") and len(first.dims) == 1:
        if op_type == "Reshape" and (len(inputs) < 2 or not isinstance(inputs[1], SymValue)):
            return None
        scalar = op_type == "Squeeze" or not inputs[1].dims
        return SymValue(first.dims, scalar=scalar)
    if op_type in ("Unsqueeze", "Reshape") and first.scalar:
        return SymValue(first.dims, scalar=False)
    if op_type == "Concat":
        if any(not isinstance(v, SymValue) or v.scalar for v in inputs) or attrs.get("axis") not in (0, -1):
            return None
        dims = tuple(d for v in inputs for d in v.dims)
        return SymValue(dims) if len(dims) <= MAX_ELEMENTS else None
    if op_type == "Gather":
        if (
            len(inputs) < 2
            or not isinstance(inputs[1], SymValue)
            or first.scalar
            or attrs.get("axis", 0) not in (0, -1)
        ):
            return None
        index = inputs[1]
        if any(d.value is None or not -len(first.dims) <= d.value < len(first.dims) for d in index.dims):
            return None
        picked = tuple(first.dims[d.value] for d in index.dims)
        return SymValue(picked, scalar=index.scalar)
    if op_type == "Slice":
        return _slice(first, inputs, attrs)
    if op_type in ("Add", "Sub", "Mul", "Div"):
        if len(inputs) != 2 or not isinstance(inputs[1], SymValue):
            return None
        pair = _broadcast(inputs)
        if pair is None:
            return None
        dims = tuple(_arith(op_type, a, b) for a, b in zip(*pair))
        if any(d is None for d in dims):
            return None
        return SymValue(dims, scalar=first.scalar and inputs[1].scalar)
    return None


def _slice(first: SymValue, inputs: list, attrs: dict) -> SymValue | None:
    if first.scalar:
        return None
    if "starts" in attrs:  # Slice-1: attributes
        starts, ends, axes, steps = attrs["starts"], attrs["ends"], attrs.get("axes", [0]), [1]
    else:
        literal = []
        for i in range(1, 5):
            value = inputs[i] if i < len(inputs) else ABSENT
            if value is None or (value is not ABSENT and any(d.value is None for d in value.dims)):
                return None
            literal.append(None if value is ABSENT else [d.value for d in value.dims])
        starts, ends, axes, steps = literal
        if starts is None or ends is None:
            return None
        axes = axes or [0]
        steps = steps or [1]
    if list(axes) not in ([0], [-1]) or len(starts) != 1:
        return None
    return SymValue(tuple(first.dims[slice(int(starts[0]), int(ends[0]), int(steps[0]))]))


# ONNX writes "to the end" as INT64_MAX / INT64_MIN; past this they mean the axis's end (Python: omitted).
_HUGE = 2**31


def slice_subscript(rank: int, starts: list[Dim], ends: list[Dim], axes: list[int], steps: list[int]) -> str:
    """ONNX Slice as a Python subscript (`[:, 0:input_ids.shape[1]]`). Python's slicing clamps
    out-of-range bounds exactly as ONNX Slice does, for either sign of step."""
    parts = [":"] * rank
    for start, end, axis, step in zip(starts, ends, axes, steps):
        lo = "" if start.value is not None and (start.value <= -_HUGE if step > 0 else start.value >= _HUGE) else None
        hi = "" if end.value is not None and (end.value >= _HUGE if step > 0 else end.value <= -_HUGE) else None
        lo = _bound(start) if lo is None else lo
        hi = _bound(end) if hi is None else hi
        parts[axis % rank] = f"{lo}:{hi}" + ("" if step == 1 else f":{step}")
        if parts[axis % rank] == ":":
            parts[axis % rank] = ":"
    while len(parts) > 1 and parts[-1] == ":":  # trailing full slices say nothing
        parts.pop()
    return f"[{', '.join(parts)}]"


def _bound(d: Dim) -> str:
    if d.value is not None:
        return str(max(-(2**62), min(d.value, 2**62)))
    return d.expr


def expand_shape(in_shape: tuple | None, target: tuple[Dim, ...], out_shape: tuple | None = None) -> list[str] | None:
    """ONNX Expand's output dims as source ('-1' keeps the input's dim), or None when a dim is only
    known at run time (a symbolic input dim against a different symbolic target). out_shape, the
    exporter's declared output shape, settles a symbolic pair (torch's 'Min(64, seq)' against 'seq')."""
    if in_shape is None:
        return None
    rank = max(len(in_shape), len(target))
    dims = [1] * (rank - len(in_shape)) + list(in_shape)
    wanted = [Dim.of(1)] * (rank - len(target)) + list(target)
    declared = list(out_shape) if out_shape is not None and len(out_shape) == rank else [None] * rank
    out = []
    for axis, (d, t) in enumerate(zip(dims, wanted)):
        own = axis >= rank - len(in_shape)  # the input has this axis (a kept dim can be -1)
        if t.value is None and isinstance(declared[axis], str) and declared[axis] == t.key:
            out.append(t.expr)  # the exporter says the output has the target's dim
        elif t.value == 1 or (isinstance(d, str) and d == t.key):
            out.append("-1" if own and not isinstance(d, int) else str(d if isinstance(d, int) else 1))
        elif d == 1 or (t.value is not None and t.value > 1) or (isinstance(d, int) and d == t.value):
            out.append(t.expr)
        elif isinstance(d, int) and t.value is None:
            out.append(str(d))  # a valid symbolic target is 1 or d here: either way the output keeps d
        else:
            return None
    return out
