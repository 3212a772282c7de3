"""The target-neutral reading of the elementwise ops (op_maps/<target>/elementwise.py): which ONNX ops are
a Python operator, a fold over variadic inputs or a one-argument math call, their legacy attributes and
version rules, Clip's bounds, IsInf's sides and Mod's two meanings. A target's table supplies only its
spelling: the call names, the dtypes its kernels take and `wrap`, which may compute in a wider dtype.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from porter.codegen.literals import array_literal
from porter.dtypes import FLOATS
from porter.semantics import check_variadic, legacy_broadcast, register_emitter

# ONNX op -> the name both frameworks give the one-argument math function (paddle.sqrt, ops.sqrt, ...)
UNARY_MATH = {
    "Sqrt": "sqrt",
    "Exp": "exp",
    "Log": "log",
    "Sin": "sin",
    "Cos": "cos",
    "Tan": "tan",
    "Asin": "asin",
    "Acos": "acos",
    "Atan": "atan",
    "Sinh": "sinh",
    "Cosh": "cosh",
    "Asinh": "asinh",
    "Acosh": "acosh",
    "Atanh": "atanh",
    "Tanh": "tanh",
    "Floor": "floor",
    "Ceil": "ceil",
    "Reciprocal": "reciprocal",
    "Erf": "erf",
}

ARITHMETIC = {"Add": "+", "Sub": "-", "Mul": "*"}

# The dtypes whose one-element constants become Python literals in a binary op: both frameworks compute a
# float32 tensor with a Python float in float32 (the literal is the constant's shortest float32 repr, so the
# same number) and an int64 tensor with a Python int in int64, where other dtypes may promote (an int32
# tensor with a large int) or round the scalar (float64 in a float32 scale attribute).
SCALAR_LITERAL_DTYPES = frozenset({"float32", "int64"})
# Paddle passes a Python int scalar through a double: int64 + (2**53 + 1) came out one less (measured). Ints
# up to int32's range are literals; a larger one stays a tensor.
INT_LITERAL_LIMIT = 2**31 - 1


def operands(n) -> list[str]:
    """A binary op's two inputs, a one-element float32 or int64 constant written as a Python literal (`x * 0.125`,
    not a tensor built from a list on every call: 11% of a small encoder's eager time in Paddle, measured).
    Only where the literal broadcasts to the same result: the other input is a tensor of at least the
    constant's rank, and the constant is not a parameter of the source (a port that trains keeps it)."""
    return pair_with_literal(n, 0, 1)


def pair_with_literal(n, first: int, second: int) -> list[str]:
    """Inputs `first` and `second` (a binary op's operands, Where's two choices), one of them written as a
    Python literal under the rule of `operands`: `paddle.where(isnan, 0.0, x)`."""
    right = scalar_literal(n, second, first)
    left = None if right is not None else scalar_literal(n, first, second)  # one side only: two make a number
    return [left or n.x(first), right or n.x(second)]


def scalar_literal(n, i: int, other: int) -> str | None:
    """Input i as a Python literal when `operands` may write it so, else None."""
    value = n.const(i)
    dtype = n.in_dtype(i)
    if value is None or value.size != 1 or dtype not in SCALAR_LITERAL_DTYPES or n.const(other) is not None:
        return None
    other_rank = n.in_rank(other)
    if other_rank is None or other_rank < value.ndim or n.in_dtype(other) != dtype:
        return None
    if n.info(i).is_initializer and n.is_trainable(i) and n.training_port:
        return None
    if dtype == "int64" and abs(int(value.reshape(-1)[0])) > INT_LITERAL_LIMIT:
        return None
    return array_literal(value.reshape(()))


def plain(n, inputs: list[str], dtype: str | None, make: Callable[..., str]) -> str:
    """The `wrap` of a target whose kernels take every dtype it registers: the call as it is."""
    del n, dtype
    return make(*inputs)


def widening(widen: dict[str, str], cast: Callable[[str, str], str], kernels: str, native=None):
    """The `wrap` of a target whose CPU kernels lack some dtypes: the dtypes in `widen` are computed in the
    wider dtype it names and cast back once (a single float32 op rounded to bfloat16 or float16 is the
    native kernel's result). `cast(expr, dtype_expr)` is the target's cast, `kernels` names its kernels in
    the conversion warning, and `native(n, dtype)` says where a node's kernel takes the dtype after all."""

    def wrap(n, inputs: list[str], dtype: str | None, make: Callable[..., str]) -> str:
        wide = widen.get(dtype or "")
        if wide is None or (native is not None and native(n, dtype)):
            return make(*inputs)
        if wide == "float32":
            n.warn(
                f"{dtype} computed through float32 and rounded back ({kernels} lack {dtype}); "
                "results can differ from a native kernel by one unit in the last place"
            )
        return cast(make(*[cast(x, n.dtype(wide)) for x in inputs]), n.dtype(dtype))

    return wrap


def arithmetic(op, dtypes: Iterable[str], module: str, wrap=plain) -> None:
    """Add, Sub, Mul: the Python operator (legacy broadcast attributes checked)."""
    for op_type, symbol in ARITHMETIC.items():

        def emit(n, symbol=symbol):
            legacy_broadcast(n)
            return wrap(n, operands(n), n.in_dtype(0), lambda a, b: f"{a} {symbol} {b}")

        # the docstring comes after registering: the operator table has listed these rows without a summary
        register_emitter(op, op_type, emit, module=module, dtypes=dtypes).__doc__ = f"a {symbol} b"


def variadic(op, maximum: str, minimum: str, dtypes: Iterable[str], module: str, wrap=plain) -> None:
    """Max, Min, Sum, Mean: the target's two-argument maximum / minimum, or +, folded over the inputs."""
    rows = {
        "Max": (f"{maximum}({{a}}, {{b}})", f"{maximum} folded over the inputs", False),
        "Min": (f"{minimum}({{a}}, {{b}})", f"{minimum} folded over the inputs", False),
        "Sum": ("{a} + {b}", "sum of the inputs", False),
        "Mean": ("{a} + {b}", "sum of the inputs / count", True),
    }
    for op_type, (fold, doc, mean) in rows.items():

        def emit(n, fold=fold, mean=mean):
            check_variadic(n)

            def make(*args):
                expr = args[0]
                for other in args[1:]:
                    expr = fold.format(a=expr, b=other)
                return f"({expr}) / {len(args)}" if mean else expr

            return wrap(n, n.xs(), n.in_dtype(0), make)

        register_emitter(op, op_type, emit, module=module, dtypes=dtypes).__doc__ = doc  # as in arithmetic()


def unary(op, op_type: str, call: str, dtypes: Iterable[str], module: str, wrap=plain) -> None:
    """A one-argument math op: `call(x)` (the legacy consumed_inputs hint ignored)."""

    def emit(n):
        if n.since < 6:
            n.ignore_attr("consumed_inputs", "a legacy memory hint with no numeric effect")
        return wrap(n, [n.x(0)], n.in_dtype(0), lambda x: f"{call}({x})")

    register_emitter(op, op_type, emit, module=module, dtypes=dtypes).__doc__ = call  # as in arithmetic()


def unary_math(op, prefix: str, dtypes: Iterable[str], module: str, wrap=plain) -> None:
    """Every op of UNARY_MATH as `{prefix}.{name}(x)`."""
    for op_type, name in UNARY_MATH.items():
        unary(op, op_type, f"{prefix}.{name}", dtypes, module, wrap)


def is_fmod(n) -> bool:
    """Mod's meaning: fmod=1 is C fmod (the sign of the dividend), fmod=0 the sign of the divisor, which ONNX
    leaves undefined for floating-point inputs (refused)."""
    fmod = bool(int(n.attr("fmod", 0)))
    if not fmod and n.in_dtype(0) in FLOATS:
        n.refuse("fmod=0 is undefined for floating point inputs")
    return fmod


def is_inf_sides(n) -> tuple[bool, bool]:
    """IsInf's (detect_positive, detect_negative)."""
    return bool(int(n.attr("detect_positive", 1))), bool(int(n.attr("detect_negative", 1)))


def clip_bounds(n) -> tuple[float | int | None, float | int | None]:
    """Clip's (min, max): floats from the attributes before opset 11, input indices (1, 2) from then on;
    None where a bound is absent."""
    if n.since < 11:
        if n.since < 6:
            n.ignore_attr("consumed_inputs", "a legacy memory hint with no numeric effect")
        lo, hi = n.attr("min", None), n.attr("max", None)
        return (None if lo is None else float(lo)), (None if hi is None else float(hi))
    return (1 if n.has_input(1) else None), (2 if n.has_input(2) else None)
