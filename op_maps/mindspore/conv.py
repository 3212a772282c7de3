"""Convolutions for MindSpore: nn.Conv1d/2d/3d layers for constant weights (pad_mode='pad' with ONNX's
explicit, possibly asymmetric pads), ops.conv2d otherwise; ConvTranspose as nn.Conv2dTranspose /
nn.Conv3dTranspose layers (1-D through 2-D); Col2Im as a product with a 0/1 placement matrix."""

from porter.op_maps import _fold as fold
from porter.op_maps.mindspore._registry import op
from porter.op_maps.mindspore._runtime_values import int_values
from porter.semantics import conv_transpose_params, static_weight_shape
from porter.semantics.conv import conv_params, layer_params


def _ms_padding(pads: list[int], rank: int) -> tuple:
    """ONNX [b1, b2, .., e1, e2, ..] -> MindSpore's (b1, e1, b2, e2, ...) order."""
    begin, end = pads[:rank], pads[rank:]
    return tuple(v for pair in zip(begin, end) for v in pair)


@op("Conv", dtypes={"float32", "float16"})
def conv(n):
    """nn.Conv2d(pad_mode='pad') for constant weights, ops.conv2d otherwise"""
    w_shape, rank = static_weight_shape(n, supported_ranks=(1, 2))
    if rank == 1:
        return _conv1d_as_2d(n, w_shape)
    kernel, strides, dilations, pads, group = conv_params(n, w_shape)
    padding = _ms_padding(pads, rank)
    layer = layer_params(n)
    if layer is not None:
        params, names = layer
        ctor = (
            f"nn.Conv2d({w_shape[1] * group}, {w_shape[0]}, kernel_size={tuple(kernel)!r}, stride={tuple(strides)!r}, "
            f"pad_mode='pad', padding={padding!r}, dilation={tuple(dilations)!r}, group={group}, "
            f"has_bias={'bias' in params}, weight_init='zeros', bias_init='zeros', data_format='NCHW')"
        )
        return f"{n.layer(n.layer_hint(1), ctor, params, names)}({n.x(0)})"
    b = n.x(2) if n.has_input(2) else "None"
    x = n.x(0)
    top, left, bottom, right = pads
    if (top, left) != (bottom, right):  # ops.conv2d takes symmetric (h, w) padding only: pad first
        padded = n.tmp("padded")
        n.stmt(f"{padded} = ops.pad({x}, ({left}, {right}, {top}, {bottom}), mode='constant', value=0.0)")
        x, top, left = padded, 0, 0
    return (
        f"ops.conv2d({x}, {n.x(1)}, {b}, stride={tuple(strides)!r}, pad_mode='pad', padding={(top, left)!r}, "
        f"dilation={tuple(dilations)!r}, groups={group})"
    )


def _conv1d_as_2d(n, w_shape) -> str:
    """A 1-D convolution is a 2-D one over a height of 1: exact, and it uses the same kernels."""
    _, strides, dilations, pads, group = conv_params(n, w_shape)
    x = f"ops.expand_dims({n.x(0)}, 2)"
    if pads[0] != pads[1]:
        padded = n.tmp("padded")
        n.stmt(f"{padded} = ops.pad({x}, ({pads[0]}, {pads[1]}), mode='constant', value=0.0)")
        x, pads = padded, [0, 0]
    w = f"ops.expand_dims({n.x(1)}, 2)"
    b = n.x(2) if n.has_input(2) else "None"
    return (
        f"ops.squeeze(ops.conv2d({x}, {w}, {b}, stride=(1, {strides[0]}), pad_mode='pad', padding=(0, {pads[0]}), "
        f"dilation=(1, {dilations[0]}), groups={group}), 2)"
    )


@op("ConvTranspose", dtypes={"float32", "float16"})
def conv_transpose(n):
    """nn.Conv2dTranspose / nn.Conv3dTranspose (1-D through 2-D) for constant weights, pad_mode='pad'"""
    w_shape, rank = static_weight_shape(n)
    weight, bias = n.const(1), (n.const(2) if n.has_input(2) else None)
    kernel, strides, dilations, group, pads, output_padding = conv_transpose_params(n, w_shape, rank)
    begin, end = pads[:rank], pads[rank:]
    # MindSpore's output_padding gives wrong numbers on CPU (measured: max abs 7.5 against onnxruntime), while
    # its padding is exact: output_padding lengthens the output at the end, which is less end padding; where it
    # lengthens it past the unpadded result, those positions hold only the bias and are padded on afterwards
    tail = [e - o for e, o in zip(end, output_padding)]
    extra = [max(-t, 0) for t in tail]
    tail = [max(t, 0) for t in tail]
    if weight is None or (n.has_input(2) and bias is None):
        return _conv_transpose_runtime(n, w_shape, rank, (kernel, strides, dilations, group), begin, tail, extra)
    x, w = n.x(0), weight
    if rank == 1:  # MindSpore's 1-D transposed convolution takes only symmetric int padding: as 2-D over a height of 1
        x, w = f"ops.expand_dims({x}, 2)", weight[:, :, None, :]
        kernel, strides, dilations = [1, *kernel], [1, *strides], [1, *dilations]
        begin, tail = [0, *begin], [0, *tail]
    padding = tuple(v for pair in zip(begin, tail) for v in pair)
    in_bias = bias is not None and not any(extra)
    params = {"weight": w}
    names = {"weight": n.input_source_name(1) or "weight"}
    if in_bias:
        params["bias"] = bias
        names["bias"] = n.input_source_name(2) or "bias"
    ctor = (
        f"nn.Conv{max(rank, 2)}dTranspose({w_shape[0]}, {w_shape[1] * group}, kernel_size={tuple(kernel)!r}, "
        f"stride={tuple(strides)!r}, pad_mode='pad', padding={padding!r}, dilation={tuple(dilations)!r}, "
        f"group={group}, has_bias={in_bias}, weight_init='zeros', bias_init='zeros')"
    )
    y = f"{n.layer(n.layer_hint(1), ctor, params, names)}({x})"
    y = _unpadded_tail(y, rank, extra)
    if any(extra) and bias is not None:  # the layer left its bias out: the padded positions hold it too
        y = f"{y} + {n.tensor(bias.reshape(-1, *[1] * rank), 'bias')}"
    return y


def _unpadded_tail(y: str, rank: int, extra: list[int]) -> str:
    """Back to 1-D when the transposed convolution ran as 2-D, and the output_padding positions past the
    unpadded result (which hold only the bias) padded on at the end."""
    if rank == 1:
        y = f"ops.squeeze({y}, 2)"
    if any(extra):
        order = tuple(v for axis in reversed(range(rank)) for v in (0, extra[axis]))
        y = f"ops.pad({y}, {order!r}, mode='constant', value=0.0)"
    return y


def _conv_transpose_runtime(n, w_shape, rank, conv, begin, tail, extra) -> str:
    """Weights that arrive at run time: the Conv2DTranspose primitive takes them as an input (nn's layer
    and ops.conv_transpose2d cannot: the layer owns its weight, the function has no CPU kernel), with the
    output size it must produce."""
    if rank not in (1, 2):
        n.refuse("ConvTranspose with run-time weights: 1-D and 2-D only for MindSpore")
    kernel, strides, dilations, group = conv
    x, w = n.x(0), n.x(1)
    if rank == 1:
        x, w = f"ops.expand_dims({x}, 2)", f"ops.expand_dims({w}, 2)"
        kernel, strides, dilations = [1, *kernel], [1, *strides], [1, *dilations]
        begin, tail = [0, *begin], [0, *tail]
    sizes = [
        f"({x}.shape[{2 + i}] - 1) * {strides[i]} - {begin[i] + tail[i]} + {dilations[i] * (kernel[i] - 1) + 1}"
        for i in range(2)
    ]
    out_channels = w_shape[1] * group
    padding = (begin[0], tail[0], begin[1], tail[1])
    prim = (
        f"ops.Conv2DTranspose({out_channels}, {tuple(kernel)!r}, pad_mode='pad', pad={padding!r}, "
        f"stride={tuple(strides)!r}, dilation={tuple(dilations)!r}, group={group})"
    )
    y = f"{prim}({x}, {w}, ({x}.shape[0], {out_channels}, {sizes[0]}, {sizes[1]}))"
    y = _unpadded_tail(y, rank, extra)
    if n.has_input(2):
        y = f"{y} + ops.reshape({n.x(2)}, (1, -1{', 1' * rank}))"
    return y


fold.register(op, __name__, calls="ops", tensor="mindspore.Tensor", read_ints=int_values)
