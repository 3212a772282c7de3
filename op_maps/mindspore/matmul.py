"""Matrix products for MindSpore: Gemm (nn.Dense for constant weights, whose [out, in] layout is ONNX's
transB=1 layout), MatMul, Einsum, Det and MatMulInteger. MindSpore's CPU has no bfloat16 MatMul: a bfloat16
MatMul by a constant weight is a `WidenedDense` holding bfloat16 weights and computing in float32, any other
bfloat16 MatMul is computed through float32 (elementwise.widened)."""

from porter.op_maps.mindspore._registry import op
from porter.op_maps.mindspore.elementwise import widened
from porter.semantics import einsum_equation
from porter.semantics.matmul import gemm_args


@op("Gemm", dtypes={"float32", "float16", "float64"})
def gemm(n):
    """alpha * A' @ B' + beta * C; nn.Dense when B is a constant weight"""
    g = gemm_args(n)
    a = f"ops.transpose({n.x(0)}, (1, 0))" if g.trans_a else n.x(0)
    linear = g.linear(n)
    if linear is not None:
        weight, bias = linear
        # Dense's weight is [out, in]; a view when it must turn, transposed as it is written out
        w = weight if g.trans_b else weight.T
        params, names = {"weight": w}, {"weight": n.input_source_name(1) or "weight"}
        if bias is not None:
            params["bias"] = bias
            names["bias"] = n.input_source_name(2) or "bias"
        ctor = (
            f"nn.Dense({w.shape[1]}, {w.shape[0]}, has_bias={bias is not None}, weight_init='zeros', bias_init='zeros')"
        )
        layer = n.layer(n.layer_hint(1), ctor, params, names, {} if g.trans_b else {"weight": "transpose"})
        return f"{layer}({a})"
    b = f"ops.transpose({n.x(1)}, (1, 0))" if g.trans_b else n.x(1)
    return g.scaled_sum(n, f"ops.matmul({a}, {b})")


_WIDENED_DENSE = """
class WidenedDense(nn.Dense):
    \"\"\"nn.Dense holding bfloat16 weights, computed in float32 (MindSpore's CPU has no bfloat16 MatMul) and
    rounded back once, the bias added before the rounding as torch's Linear does.\"\"\"

    def construct(self, x):
        weight = ops.transpose(self.weight.astype(mindspore.float32), (1, 0))
        out = ops.matmul(x.astype(mindspore.float32), weight)
        if self.has_bias:
            out = out + self.bias.astype(mindspore.float32)
        return out.astype(x.dtype)
"""


def _dense(n, weight) -> str:
    """An nn.Dense (or `WidenedDense`) layer for MatMul's constant [in, out] weight, with the bias the next Add
    adds when that is torch's Linear split in two; returns the layer's call."""
    params = {"weight": weight.T}  # Dense's weight is [out, in]; transposed as it is written out
    names = {"weight": n.input_source_name(1) or "weight"}
    fused = n.fused_bias()
    if fused is not None:
        params["bias"], names["bias"] = fused[0], fused[1] or "bias"
    layer_class, ctor_dtype = "nn.Dense", ""
    if weight.dtype.name == "bfloat16":
        # the weights stay bfloat16, in the layer and in the .ckpt (a 7B model stays 13 GB, not 27)
        n.warn("bfloat16 Dense layers compute through float32 and round back (MindSpore's CPU lacks bfloat16 MatMul)")
        layer_class = n.helper("WidenedDense", _WIDENED_DENSE)
        ctor_dtype = f", dtype={n.dtype('bfloat16')}"
    ctor = (
        f"{layer_class}({weight.shape[0]}, {weight.shape[1]}, has_bias={fused is not None}, "
        f"weight_init='zeros', bias_init='zeros'{ctor_dtype})"
    )
    layer = n.layer(n.layer_hint(1), ctor, params, names, {"weight": "transpose"})
    return f"{layer}({n.x(0)})"


@op("MatMul", dtypes={"float32", "float16", "float64", "bfloat16"})
def matmul(n):
    """ops.matmul (numpy semantics), or nn.Dense for a constant 2-D float32 or bfloat16 weight (with the bias
    the next Add adds, when that is torch's Linear split in two); bfloat16 computed through float32"""
    weight = n.const(1)
    dense = weight is not None and weight.dtype.name in ("float32", "bfloat16") and weight.ndim == 2
    if dense and n.in_dtype(0) == weight.dtype.name and n.in_rank(0) not in (None, 1):
        return _dense(n, weight)
    if n.in_dtype(0) == "float16":
        n.warn(
            "float16 under GRAPH_MODE: MindSpore's fused kernels keep float32 intermediates; results can "
            "differ from op-by-op float16 by one or two units in the last place (docs/known-deviations.md)"
        )
    return widened(n, [n.x(0), n.x(1)], n.in_dtype(0), lambda a, b: f"ops.matmul({a}, {b})")


_EINSUM = """
def _einsum(equation, *operands):
    # ONNX Einsum as sums, transposes and batched matmuls (MindSpore has no CPU einsum kernel); the equation
    # is explicit, without "..." or repeated labels within an operand
    inputs, output = equation.split("->")
    terms = inputs.split(",")
    x, xl = operands[0], terms[0]
    for k in range(1, len(terms)):
        y, yl = operands[k], terms[k]
        needed = set(output) | set("".join(terms[k + 1 :]))
        # labels one side holds alone and nothing later needs are summed out first
        drop = [i for i, c in enumerate(xl) if c not in needed and c not in yl]
        if drop:
            x, xl = x.sum(axis=tuple(drop)), "".join(c for i, c in enumerate(xl) if i not in drop)
        drop = [i for i, c in enumerate(yl) if c not in needed and c not in xl]
        if drop:
            y, yl = y.sum(axis=tuple(drop)), "".join(c for i, c in enumerate(yl) if i not in drop)
        size = dict(zip(xl, x.shape))
        size.update(zip(yl, y.shape))
        batch = [c for c in xl if c in yl and c in needed]
        contract = [c for c in xl if c in yl and c not in needed]
        left, right = [c for c in xl if c not in yl], [c for c in yl if c not in xl]

        def count(labels):
            total = 1
            for c in labels:
                total *= size[c]
            return total

        a = ops.reshape(ops.transpose(x, tuple(xl.index(c) for c in batch + left + contract)),
                        (count(batch), count(left), count(contract)))
        b = ops.reshape(ops.transpose(y, tuple(yl.index(c) for c in batch + contract + right)),
                        (count(batch), count(contract), count(right)))
        x = ops.reshape(ops.bmm(a, b), tuple(size[c] for c in batch + left + right))
        xl = "".join(batch + left + right)
    drop = [i for i, c in enumerate(xl) if c not in output]
    if drop:
        x, xl = x.sum(axis=tuple(drop)), "".join(c for i, c in enumerate(xl) if i not in drop)
    return ops.transpose(x, tuple(xl.index(c) for c in output)) if xl != output else x
"""


@op("Einsum", dtypes={"float32", "float64"})
def einsum(n):
    """sums, transposes and batched matmuls (MindSpore's einsum has no CPU kernel)"""
    equation = einsum_equation(n)
    # the helper plans its contractions from the equation string in Python, which GRAPH_MODE cannot compile
    n.require_eager("Einsum's helper plans its contractions in Python at run time")
    return f"{n.helper('_einsum', _EINSUM)}({equation!r}, {', '.join(n.xs())})"


@op("Det", dtypes={"float32", "float64"})
def det(n):
    """ops.det"""
    return f"ops.det({n.x(0)})"


def _minus_zero_point(n, x: int, zero: int, per_row: bool) -> str:
    value = f"{n.x(x)}.astype(mindspore.float64)"
    if not n.has_input(zero):
        return value
    point = f"{n.x(zero)}.astype(mindspore.float64)"
    return f"({value} - {f'ops.unsqueeze({point}, -1)' if per_row else point})"


@op("MatMulInteger", dtypes={"int8", "uint8"})
def matmul_integer(n):
    """(A - a_zero) @ (B - b_zero) in float64, exact for these 8-bit operands, then int32"""
    za = n.const(2) if n.has_input(2) else None
    per_row = za is not None and za.ndim == 1 and za.size > 1  # a zero point per row of A
    a, b = _minus_zero_point(n, 0, 2, per_row), _minus_zero_point(n, 1, 3, False)
    return f"ops.matmul({a}, {b}).astype(mindspore.int32)"
