"""Elementwise arithmetic and math for MindSpore (the classic mindspore.ops API, CPU/GPU/Ascend)."""

from porter.dtypes import FLOATS
from porter.op_maps.mindspore._registry import REGISTRY, op
from porter.rows import direct

_NUMERIC = {"float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8"}

for _op, _call in {"Sqrt": "ops.sqrt", "Exp": "ops.exp", "Log": "ops.log", "Tanh": "ops.tanh"}.items():
    direct(REGISTRY, _op, _call, versions=[6, 13], dtypes=FLOATS - {"bfloat16"})

direct(REGISTRY, "Abs", "ops.abs", versions=[6, 13], dtypes={"float32", "float64", "int32", "int64"})
direct(REGISTRY, "Neg", "ops.neg", versions=[6, 13], dtypes={"float32", "float64", "int32", "int64"})


def _binary(op_type: str, symbol: str):
    @op(op_type, versions=[7, 13, 14], dtypes={"float32", "float64", "float16", "int32", "int64"})
    def emit(n):
        return f"{n.x(0)} {symbol} {n.x(1)}"

    emit.__name__ = op_type.lower()
    emit.__doc__ = f"a {symbol} b"
    return emit


add = _binary("Add", "+")
sub = _binary("Sub", "-")
mul = _binary("Mul", "*")


@op("Div", versions=[7, 13, 14], dtypes={"float32", "float64"})
def div(n):
    """a / b (floating point only: integer division is not mapped for MindSpore yet)"""
    return f"{n.x(0)} / {n.x(1)}"


@op("Sum", dtypes={"float32", "float64", "float16"})
def sum_(n):
    """sum of the inputs"""
    if n.since < 6:
        n.ignore_attr("consumed_inputs", "a legacy memory hint with no numeric effect")
    if n.since < 8 and len({n.in_shape(i) for i in range(n.num_inputs)}) != 1:
        n.refuse("opset < 8 forbids broadcasting between inputs")
    return " + ".join(n.xs())
