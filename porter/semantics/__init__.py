"""ONNX's reading of each op, shared by every target: defaults, version rules, attribute checks, refusals,
shape and axis arithmetic. op_maps/<target>/ only spells what is read here in its framework's calls.

This module holds the rules several families share (auto_pad, ceil_mode, broadcasting, the spelling
vocabularies); each op family has its own module (activation, cast, conv, elementwise, image, index, logic,
loss, matmul, norm, pool, quant, reduce, shape, rnn, attention), mirrored by tests/porter/semantics/.
"""

from __future__ import annotations

import numpy as np

from porter.torch_graph import embedding_arguments


def vocabulary(module: str, names, **spelled: str) -> dict[str, str]:
    """A target's spelling of the calls a shared helper makes (`names`): `module.name` for each, except those
    the target spells otherwise."""
    unknown = set(spelled) - set(names)
    if unknown:
        raise ValueError(f"not in the vocabulary: {sorted(unknown)}")
    return {name: spelled.get(name, f"{module}.{name}") for name in names}


def register_emitter(op, op_type: str, emit, *, module: str, doc: str | None = None, name: str | None = None, **kw):
    """Register `emit` with a target's `op` decorator as if the target's family module (`module`, its
    __name__) had defined it: the registry, `porter ops` and docs/operators.md read the module, the name and
    the first docstring line (`doc`). For the shared emitter factories of porter/semantics/."""
    emit.__name__ = emit.__qualname__ = name or op_type.lower()
    emit.__module__ = module
    if doc is not None:
        emit.__doc__ = doc
    return op(op_type, **kw)(emit)


def spatial_params(n, kernel: list[int], spatial_shape):
    """(strides, dilations, pads as [begin..., end...]) with auto_pad resolved."""
    rank = len(kernel)
    strides = list(n.attr("strides", [1] * rank))
    dilations = list(n.attr("dilations", [1] * rank))
    auto_pad = n.attr("auto_pad", "NOTSET")
    pads = list(n.attr("pads", [0] * (2 * rank)))
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        if spatial_shape is None or not all(isinstance(d, int) for d in spatial_shape):
            n.refuse(f"auto_pad={auto_pad} needs static spatial input dims")
        pads = [0] * (2 * rank)
        for i, (size, k, s, d) in enumerate(zip(spatial_shape, kernel, strides, dilations)):
            out = -(-size // s)
            total = max(0, (out - 1) * s + (k - 1) * d + 1 - size)
            small, big = total // 2, total - total // 2
            pads[i], pads[i + rank] = (small, big) if auto_pad == "SAME_UPPER" else (big, small)
    elif auto_pad == "VALID":
        pads = [0] * (2 * rank)
    elif auto_pad != "NOTSET":
        n.refuse(f"auto_pad={auto_pad!r} is not an ONNX value")
    return strides, dilations, pads


def pooled_sizes_ceil(spatial, kernel, strides, begin, end) -> list[int]:
    """Output sizes of a ceil_mode pool: a last window may not start in the end padding (ONNX rule)."""
    sizes = []
    for size, k, st, b, e in zip(spatial, kernel, strides, begin, end):
        out = -(-(size + b + e - k) // st) + 1
        if (out - 1) * st >= size + b:
            out -= 1
        sizes.append(out)
    return sizes


def legacy_broadcast(n) -> None:
    """Opset < 7 binary ops carry `broadcast`/`axis`; numpy-style broadcasting covers axis-less use."""
    if n.since < 7 and n.attr("broadcast", 0) and n.attr("axis", None) is not None:
        n.refuse("legacy broadcast with an explicit axis is not supported")
    if n.since < 6:
        n.ignore_attr("consumed_inputs", "a legacy memory hint with no numeric effect")


def check_variadic(n) -> None:
    """Sum/Mean/Max/Min: legacy attributes, and no broadcasting before opset 8."""
    if n.since < 6:
        n.ignore_attr("consumed_inputs", "a legacy memory hint with no numeric effect")
    if n.since < 8 and len({n.in_shape(i) for i in range(n.num_inputs)}) != 1:
        n.refuse("opset < 8 forbids broadcasting between inputs")


def trainable_dropout_rate(n) -> float | None:
    """The rate of a training-mode Dropout in a port converted for training (`--train`): the port applies it
    while training and is the identity in eval mode, as the source's Dropout is. None otherwise."""
    if not n.training_port or n.since < 12 or not n.has_input(2) or n.const(2) is None or not bool(n.const(2)):
        return None
    if n.has_output(1):
        n.refuse("the dropout mask output has no equivalent in a trainable port")
    n.ignore_attr("seed", "the framework's own generator draws the mask, as torch's does")
    ratio = n.const(1) if n.has_input(1) else np.array(0.5)
    if ratio is None:
        n.refuse("the dropout ratio (input 1) must be a constant")
    return float(ratio)


def dropout_for_inference(n) -> None:
    """Dropout's attributes and training-mode input, checked for an inference port (identity)."""
    if n.since < 7:
        n.ignore_attr("is_test", "porter converts for inference; dropout is the identity there")
        n.ignore_attr("consumed_inputs", "a legacy memory hint with no numeric effect")
    if n.since < 12:
        n.ignore_attr("ratio", "no effect in inference")
        return
    n.ignore_attr("seed", "no effect in inference")
    if n.has_input(2):
        mode = n.const(2)
        if mode is None or bool(mode):
            n.refuse("training_mode must be a constant false: porter converts for inference")


def dropout_outputs(n, train_call: str, mask) -> list[str]:
    """Dropout's outputs: `train_call(x, p=rate, training=self.training)` in a port converted for training,
    else the input unchanged and, when asked for, the all-true mask: mask(x, as_bool) spells ones shaped like
    x, bool from opset 10, in x's dtype before."""
    rate = trainable_dropout_rate(n)
    if rate is not None:
        return [f"{train_call}({n.x(0)}, p={rate!r}, training=self.training)"]
    dropout_for_inference(n)
    x = n.x(0)
    if not n.has_output(1):
        return [x]
    return [x, mask(x, n.since >= 10)]


def static_weight_shape(n, supported_ranks=(1, 2, 3)) -> tuple[tuple, int]:
    """A conv weight's static shape and its number of spatial dims, or a refusal."""
    w_shape = n.in_shape(1)
    if w_shape is None or any(not isinstance(d, int) for d in w_shape):
        n.refuse("the weight shape must be static")
    rank = len(w_shape) - 2
    if rank not in supported_ranks:
        n.refuse(f"{rank}-D {n.op_type} is not supported")
    return w_shape, rank


def batch_norm_for_inference(n) -> tuple[float, float]:
    """(epsilon, momentum) of a BatchNormalization node that can be ported for inference, or a refusal.

    ONNX's momentum weighs the running value (running = running * momentum + batch * (1 - momentum)),
    as Paddle's and MindSpore's do, unlike torch's; it has no effect in inference but is passed on."""
    epsilon = float(n.attr("epsilon", 1e-5))
    momentum = float(n.attr("momentum", 0.9))
    if n.since < 7:
        n.ignore_attr("is_test", "porter converts for inference")
        n.ignore_attr("consumed_inputs", "a legacy memory hint with no numeric effect")
    if n.since < 9 and n.attr("spatial", 1) != 1:
        n.refuse("spatial=0 (per-element statistics) is not supported")
    if n.since >= 14 and n.attr("training_mode", 0):
        n.refuse("training_mode=1: porter converts for inference")
    if any(n.has_output(i) for i in range(1, n.num_outputs)):
        n.refuse("the running-statistics outputs exist only in training mode")
    return epsilon, momentum


def batch_norm_for_training(n) -> tuple[float, float] | None:
    """(epsilon, momentum) of a training-mode BatchNormalization in a port converted for training
    (`--train`), None for any other node. The port's layer uses batch statistics under train() / set_train()
    and the running ones in eval mode, and updates the running statistics in place as torch does: `momentum`
    is ONNX's (the weight of the running value, 1 - torch's) and the variance folded in is the unbiased batch
    variance. The node's running-statistics outputs are the exporter's rendering of that in-place update;
    the emitters produce output 0 only, so a graph that reads the others fails at convert time."""
    if not n.training_port or n.since < 14 or not n.attr("training_mode", 0):
        return None
    epsilon = float(n.attr("epsilon", 1e-5))
    # the attribute is float32: 0.800000011920929 is torch's 0.2 (shortest float32 spelling: 0.8)
    momentum = float(str(np.float32(n.attr("momentum", 0.9))))
    if any(n.const(i) is None for i in range(1, 5)):
        n.refuse("a training-mode BatchNormalization needs constant scale, bias and running statistics")
    return epsilon, momentum


def resample_plan(
    in_size: int,
    out_size: int,
    scale: float,
    mode: str,
    ctm: str,
    nearest_mode: str,
    cubic_a: float = -0.75,
    exclude_outside: int = 0,
):
    """ONNX Resize along one axis, at convert time: [(source indices, weights or None), ...] per tap."""
    import numpy as np

    pos = np.arange(out_size, dtype=np.float64)
    out_f = scale * in_size  # ONNX's coordinate formulas use the unrounded output length
    if ctm == "half_pixel":
        src = (pos + 0.5) / scale - 0.5
    elif ctm == "half_pixel_symmetric":
        src = in_size / 2 * (1 - out_size / (scale * in_size)) + (pos + 0.5) / scale - 0.5
    elif ctm == "pytorch_half_pixel":
        src = (pos + 0.5) / scale - 0.5 if out_f > 1 else np.zeros(out_size)
    elif ctm == "align_corners":
        src = pos * (in_size - 1) / (out_f - 1) if out_f > 1 else np.zeros(out_size)
    elif ctm == "asymmetric":
        src = pos / scale
    else:
        raise ValueError(f"coordinate_transformation_mode {ctm!r}")
    if mode == "nearest":
        rounding = {
            "round_prefer_floor": lambda v: np.ceil(v - 0.5),
            "round_prefer_ceil": lambda v: np.floor(v + 0.5),
            "floor": np.floor,
            "ceil": np.ceil,
        }[nearest_mode]
        return [(np.clip(rounding(src), 0, in_size - 1).astype(np.int64), None)]
    base = np.floor(src)
    r = src - base
    if mode == "linear":
        offsets, weights = [0, 1], [1 - r, r]
    else:
        a = cubic_a
        offsets = [-1, 0, 1, 2]
        weights = [
            ((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a,
            ((a + 2) * r - (a + 3)) * r * r + 1,
            ((a + 2) * (1 - r) - (a + 3)) * (1 - r) * (1 - r) + 1,
            ((a * (2 - r) - 5 * a) * (2 - r) + 8 * a) * (2 - r) - 4 * a,
        ]
    taps = [base + o for o in offsets]
    if exclude_outside:
        weights = [np.where((t < 0) | (t > in_size - 1), 0.0, w) for t, w in zip(taps, weights)]
        total = sum(weights)
        weights = [w / total for w in weights]
    return [(np.clip(t, 0, in_size - 1).astype(np.int64), w) for t, w in zip(taps, weights)]


def space_to_depth_order(n) -> tuple[int, ...]:
    """SpaceToDepth's transpose of (N, C, H/b, b, W/b, b): blocks before channels for DCR (the only
    mode before opset 28), channels before blocks for CRD."""
    mode = n.attr("mode", "DCR") if n.since >= 28 else "DCR"
    if mode not in ("DCR", "CRD"):
        n.refuse(f"mode={mode!r} is not an ONNX SpaceToDepth mode")
    return (0, 3, 5, 1, 2, 4) if mode == "DCR" else (0, 1, 3, 5, 2, 4)


def unsorted_top_k(n) -> None:
    """TopK sorted=0: ONNX leaves the order unspecified, so the sorted order is a correct answer (routers
    such as DeepSeek-V3's group selection use the set, not the order); say so, since another runtime's
    order may differ."""
    n.warn("sorted=0: the top-k come back sorted, one of the orders ONNX allows for unsorted TopK")


def embedding_table(n):
    """The table of a Gather that is torch's Embedding lookup (a constant 2-D float weight gathered along
    axis 0 by ids), or None: it becomes the framework's Embedding layer. torch rejects negative ids, so
    the lookup needs none of ONNX Gather's wrapping."""
    table = n.const(0)
    if (
        n.torch_op().startswith("aten.embedding")
        and table is not None
        and table.ndim == 2
        and table.dtype.name == "float32"
        and int(n.attr("axis", 0)) == 0
        and n.in_dtype(1) in ("int32", "int64")
        and n.const(1) is None
    ):
        return table
    return None


def embedding_padding_row(n) -> int | None:
    """In a port that trains: the row of torch's Embedding padding_idx, which the port looks up as stored
    but never trains (torch gives it a zero gradient), or None. The value is in the exporter's metadata
    only; scale_grad_by_freq, whose gradient the ports do not reproduce, is refused."""
    if not n.training_port:
        return None
    args = embedding_arguments(n.proto) or {}
    if args.get("scale_grad_by_freq", "False") != "False":
        n.refuse("Embedding scale_grad_by_freq=True (gradients scaled by id frequency) is not mapped for training")
    try:
        padding = int(args.get("padding_idx", "-1"))
    except ValueError:
        n.refuse(f"Embedding padding_idx {args['padding_idx']!r} is not a constant")
    # torch makes a negative padding_idx positive before the call; a negative one matches no id
    return padding if padding >= 0 else None


def embedding_lookup(n):
    """(table, padding row) of a Gather that is torch's Embedding lookup (embedding_table; the padding row
    only in a port that trains, embedding_padding_row), (None, None) for any other Gather. A padding row
    needs the Embedding layer, so a port that trains refuses one without a constant table."""
    table, padding = embedding_table(n), embedding_padding_row(n)
    if table is None and padding is not None:
        n.refuse(f"training with padding_idx={padding} needs a float32 constant table (an Embedding layer)")
    return table, padding


def conv_transpose_params(n, w_shape, rank: int):
    """(kernel, strides, dilations, group, pads as [begin..., end...], output_padding) of a ConvTranspose,
    with output_shape and auto_pad resolved into explicit pads (ONNX's formula; SAME_UPPER puts the odd
    unit at the end, and so does output_shape unless auto_pad says SAME_LOWER)."""
    kernel = list(n.attr("kernel_shape", w_shape[2:]))
    strides = list(n.attr("strides", [1] * rank))
    dilations = list(n.attr("dilations", [1] * rank))
    group = int(n.attr("group", 1))
    output_padding = list(n.attr("output_padding", [0] * rank))
    output_shape = n.attr("output_shape", None)
    auto_pad = n.attr("auto_pad", "NOTSET")
    pads = list(n.attr("pads", [0] * (2 * rank)))
    in_shape = n.in_shape(0)
    spatial = None if in_shape is None else in_shape[2:]
    if output_shape is not None or auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        if spatial is None or not all(isinstance(d, int) for d in spatial):
            n.refuse("output_shape / SAME auto_pad need static spatial input dims")
        target = list(output_shape)[-rank:] if output_shape is not None else [d * s for d, s in zip(spatial, strides)]
        pads = [0] * (2 * rank)
        for i in range(rank):
            total = strides[i] * (spatial[i] - 1) + output_padding[i] + ((kernel[i] - 1) * dilations[i] + 1) - target[i]
            if total < 0:
                output_padding[i] -= total
                total = 0
            if auto_pad == "SAME_UPPER" or (output_shape is not None and auto_pad != "SAME_LOWER"):
                pads[i], pads[i + rank] = total // 2, total - total // 2
            else:
                pads[i], pads[i + rank] = total - total // 2, total // 2
    elif auto_pad == "VALID":
        pads = [0] * (2 * rank)
    elif auto_pad != "NOTSET":
        n.refuse(f"auto_pad={auto_pad!r} is not an ONNX value")
    return kernel, strides, dilations, group, pads, output_padding


def grid_sample_args(n) -> tuple[str, str, bool, int]:
    """(mode as torch names it: bilinear | nearest, padding_mode, align_corners, spatial rank) of a GridSample;
    cubic interpolation is refused (neither target's CPU kernel has it for every rank)."""
    mode = n.attr("mode", "bilinear" if n.since < 20 else "linear")
    canonical = {"bilinear": "bilinear", "linear": "bilinear", "nearest": "nearest"}.get(mode)
    if canonical is None:
        n.refuse(f"mode={mode!r} is not mapped (bilinear/linear and nearest are)")
    padding_mode = n.attr("padding_mode", "zeros")
    if padding_mode not in ("zeros", "border", "reflection"):
        n.refuse(f"padding_mode={padding_mode!r} is not an ONNX value")
    align = bool(n.attr("align_corners", 0))
    rank = n.in_rank(0)
    if rank not in (4, 5):
        n.refuse(f"{rank}-D input: 4-D (2-D sampling) and 5-D (3-D) are mapped")
    return canonical, padding_mode, align, rank - 2


def einsum_equation(n) -> str:
    """An Einsum's equation made explicit: spaces removed, "..." expanded into letters the equation does not
    use (the input ranks must be known), the implicit output (labels used once, in alphabetical order, after
    the ellipsis) written out. Refuses a label repeated within one operand (a diagonal)."""
    equation = n.attr("equation").replace(" ", "")
    if not all(ch.isalpha() or ch in ",->." for ch in equation):
        n.refuse(f"unexpected characters in equation {equation!r}")
    inputs, arrow, output = equation.partition("->")
    terms = inputs.split(",")
    if len(terms) != n.num_inputs:
        n.refuse(f"equation {equation!r} names {len(terms)} operands, the node has {n.num_inputs}")
    free = [c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in equation]
    widest = 0
    expanded = []
    for i, term in enumerate(terms):
        if "..." in term:
            rank = n.in_rank(i)
            if rank is None:
                n.refuse("an ellipsis needs the operand ranks known at convert time")
            count = rank - (len(term) - 3)
            widest = max(widest, count)
            term = term.replace("...", "".join(free[widest - count : widest]))
        expanded.append(term)
    ellipsis = "".join(free[:widest])
    if arrow:
        output = output.replace("...", ellipsis)
    else:
        counts = {c: "".join(expanded).count(c) for c in set("".join(expanded))}
        output = ellipsis + "".join(sorted(c for c, k in counts.items() if k == 1 and c not in ellipsis))
    for term in expanded:
        if len(set(term)) != len(term):
            n.refuse(f"a label repeated within one operand ({term!r}, a diagonal) is not mapped")
    return f"{','.join(expanded)}->{output}"
