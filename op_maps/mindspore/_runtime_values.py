"""Integers an ONNX node takes as a tensor input (axes, shapes, k, depth), as MindSpore source.

A convert-time constant becomes a literal, which compiles under GRAPH_MODE; shape arithmetic on symbolic
dims becomes a tuple of the input's own dims (`(input_ids.shape[0], -1, 8)`, see porter.symdims), which
GRAPH_MODE compiles as dynamic dims. A value only known at run
time (the node suite feeds many of them as graph inputs) is read from the tensor with .asnumpy(),
which works in PYNATIVE_MODE only; conversion says so in a warning, and GRAPH_MODE then fails to
compile that model with MindSpore's own error rather than computing anything wrong.
"""


def int_values(n, i: int, what: str) -> str:
    """Source for a tuple of ints taken from input i."""
    values = n.const_list(i)
    if values is not None:
        return repr(tuple(int(v) for v in values))
    sym = n.sym(i)
    if sym is not None:
        return sym.source("()")
    n.warn(f"{what} (input {i}) is read at run time: the generated model runs in PYNATIVE_MODE only")
    n.require_eager(f"{what} is read at run time")
    return f"tuple(int(v) for v in {n.x(i)}.asnumpy().reshape(-1))"


def int_value(n, i: int, what: str) -> str:
    """Source for a single int taken from input i."""
    values = n.const_list(i)
    if values is not None:
        return repr(int(values[0]))
    sym = n.sym(i)
    if sym is not None and len(sym.dims) == 1:
        return sym.dims[0].expr
    n.warn(f"{what} (input {i}) is read at run time: the generated model runs in PYNATIVE_MODE only")
    n.require_eager(f"{what} is read at run time")
    return f"int({n.x(i)}.asnumpy().reshape(-1)[0])"
