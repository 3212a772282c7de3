"""Convolutions: Conv, ConvTranspose and Col2Im (idiomatic nn.Conv*D layers when the weights are constants).

ONNX pads are [x1_begin, x2_begin, ..., x1_end, x2_end, ...]; symmetric pads map to the layer's
`padding`, asymmetric ones become an explicit nn.functional.pad in front of an unpadded conv.
auto_pad SAME_UPPER/SAME_LOWER/VALID is resolved at convert time from the input's spatial shape.
"""

from porter.op_maps import _fold as fold
from porter.op_maps.paddle._registry import op
from porter.op_maps.paddle.elementwise import widened
from porter.op_maps.paddle.shape import int_list
from porter.semantics import conv_transpose_params, static_weight_shape
from porter.semantics.conv import conv_params, layer_params

_CONV_DTYPES = {"float32", "float64", "float16"}


def _split_pads(n, x: str, pads: list[int], rank: int) -> tuple[str, list[int]]:
    """Symmetric pads go to the layer; asymmetric ones are applied first with nn.functional.pad."""
    begin, end = pads[:rank], pads[rank:]
    if begin == end:
        return x, begin
    # nn.functional.pad on NC... data pads the last dims in reverse order pairs: [w_begin, w_end, h_begin, h_end].
    flat = []
    for b, e in reversed(list(zip(begin, end))):
        flat += [b, e]
    padded = n.tmp("padded")
    data_format = {1: "NCL", 2: "NCHW", 3: "NCDHW"}[rank]
    n.stmt(f"{padded} = nn.functional.pad({x}, {n.lit(flat)}, mode='constant', value=0.0, data_format='{data_format}')")
    return padded, [0] * rank


@op("Conv", dtypes=_CONV_DTYPES)
def conv(n):
    """nn.Conv1D/2D/3D (constant weights) or nn.functional.conv*d"""
    w_shape, rank = static_weight_shape(n)
    kernel, strides, dilations, pads, group = conv_params(n, w_shape)
    x, padding = _split_pads(n, n.x(0), pads, rank)
    out_channels, in_per_group = w_shape[0], w_shape[1]
    layer = layer_params(n)
    if layer is not None and n.in_dtype(0) not in ("float16", "bfloat16"):  # Paddle's CPU conv: no float16 kernel
        params, sources = layer
        ctor = (
            f"nn.Conv{rank}D({in_per_group * group}, {out_channels}, kernel_size={n.lit(kernel)}, "
            f"stride={n.lit(strides)}, padding={n.lit(padding)}, dilation={n.lit(dilations)}, groups={group}"
            + ("" if "bias" in params else ", bias_attr=False")
            + ")"
        )
        layer = n.layer(n.layer_hint(1), ctor, params, sources)
        return f"{layer}({x})"
    inputs = [x, n.x(1)] + ([n.x(2)] if n.has_input(2) else [])

    def make(data, w, b="None"):
        return (
            f"nn.functional.conv{rank}d({data}, {w}, bias={b}, stride={n.lit(strides)}, padding={n.lit(padding)}, "
            f"dilation={n.lit(dilations)}, groups={group})"
        )

    return widened(n, inputs, n.in_dtype(0), make)


@op("ConvTranspose", dtypes=_CONV_DTYPES)
def conv_transpose(n):
    """nn.functional.conv*d_transpose with explicit output padding / output_shape"""
    w_shape, rank = static_weight_shape(n)
    _, strides, dilations, group, pads, output_padding = conv_transpose_params(n, w_shape, rank)
    begin, end = pads[:rank], pads[rank:]
    b = n.x(2) if n.has_input(2) else "None"
    call = (
        f"nn.functional.conv{rank}d_transpose({n.x(0)}, {n.x(1)}, bias={b}, stride={n.lit(strides)}, "
        f"padding={n.lit([0] * rank)}, output_padding={n.lit(output_padding)}, dilation={n.lit(dilations)}, "
        f"groups={group})"
    )
    if not any(begin) and not any(end):
        return call
    full = n.tmp("full")
    n.stmt(f"{full} = {call}")
    crops = [f"{bb}:{full}.shape[{i + 2}] - {ee}" for i, (bb, ee) in enumerate(zip(begin, end))]
    return f"{full}[:, :, {', '.join(crops)}]"


fold.register(op, __name__, calls="paddle", tensor="paddle.to_tensor", read_ints=int_list)
