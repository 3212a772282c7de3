"""Spectral ops (DFT, STFT, HannWindow, HammingWindow, BlackmanWindow) as every target computes them.

The numbers (window samples, DFT matrices) are plain numpy functions: porter calls them at convert time when
the sizes are constants, and generated code that learns the sizes only at run time carries their source, so
both paths share one definition of ONNX's formulas. The DFT itself is real matrix products, written in a
target's vocabulary (`{matmul}`, `{moveaxis}`, ...), as porter/semantics/attention.py does for Attention.
"""

from __future__ import annotations

from porter.op_maps._source import lazy_source
from porter.semantics import register_emitter, vocabulary


def window_values(kind, size, periodic):
    """ONNX's cosine-sum windows: a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N), N = size (periodic) or size - 1."""
    import numpy as np

    a0, a1, a2 = {"hann": (0.5, 0.5, 0.0), "hamming": (25 / 46, 21 / 46, 0.0), "blackman": (0.42, 0.5, 0.08)}[kind]
    span = size if periodic else size - 1
    angle = 2 * np.pi * np.arange(size, dtype=np.float64) / max(span, 1)
    return a0 - a1 * np.cos(angle) + a2 * np.cos(2 * angle)


def dft_matrices(bins, length, inverse, onesided):
    """Real matrices (a, b, c, d) with real' = real @ a + imag @ b and imag' = real @ c + imag @ d: ONNX DFT of
    `bins` input samples along one axis, zero-padded or truncated to `length` (None: the axis's length, or
    2 * (bins - 1) for an inverse of a one-sided spectrum). a's rows are the samples used. An inverse of a
    one-sided spectrum is real (c = d = None): each bin but the first and the Nyquist one counts twice."""
    import numpy as np

    if length is None:
        length = 2 * (bins - 1) if inverse and onesided else bins
    if inverse and onesided:
        k = np.arange(min(bins, length // 2 + 1), dtype=np.float64)[:, None]
        angle = 2 * np.pi * k * np.arange(length)[None, :] / length
        weight = np.where((k == 0) | (2 * k == length), 1.0, 2.0) / length
        return weight * np.cos(angle), -weight * np.sin(angle), None, None
    samples = np.arange(min(bins, length), dtype=np.float64)[:, None]
    angle = 2 * np.pi * samples * np.arange(length // 2 + 1 if onesided else length)[None, :] / length
    sign, scale = (1.0, 1.0 / length) if inverse else (-1.0, 1.0)
    cos, sin = scale * np.cos(angle), scale * np.sin(angle)
    return cos, -sign * sin, sign * sin, cos


_DFT_APPLY = """
def _dft_apply(x, axis, a, b, c, d):
    # ONNX DFT as real matrix products along `axis`; x's last axis holds (real, imaginary) or the real part
    x = {moveaxis}(x, axis, -2)
    rows = a.shape[0]
    real = {matmul}(x[..., :rows, 0], a)
    imag = None if c is None else {matmul}(x[..., :rows, 0], c)
    if x.shape[-1] == 2:
        real = real + {matmul}(x[..., :rows, 1], b)
        imag = None if d is None else imag + {matmul}(x[..., :rows, 1], d)
    y = {unsqueeze}(real, -1) if imag is None else {stack}([real, imag], -1)
    return {moveaxis}(y, -2, axis)
"""

_DFT_PLAN = lazy_source(
    dft_matrices,
    """

def _dft_plan(x, axis, length, inverse, onesided):
    # the DFT matrices for an axis or length known only at run time
    mats = dft_matrices(x.shape[axis], length, inverse, onesided)
    return [None if m is None else {tensor}(m).astype(x.dtype) for m in mats]
""",
)

_WINDOW = lazy_source(
    window_values,
    """

def _window(kind, size, periodic, dtype):
    # a window whose size is known only at run time
    return {tensor}(window_values(kind, size, periodic)).astype(dtype)
""",
)

WINDOW_KINDS = {"HannWindow": "hann", "HammingWindow": "hamming", "BlackmanWindow": "blackman"}


def _fill(template: str, vocab: dict) -> str:
    # the templates hold other braces only in dict literals of the numpy functions, which we leave alone
    for key, value in vocab.items():
        template = template.replace("{" + key + "}", value)
    return template


def window_call(n, vocab: dict, read_int) -> str:
    """HannWindow / HammingWindow / BlackmanWindow: a constant when the size is one, else computed at run time."""
    kind = WINDOW_KINDS[n.op_type]
    periodic = bool(n.attr("periodic", 1))
    dtype = n.out_dtype(0)
    if dtype is None:
        n.refuse("the output dtype must be known")
    target_dtype = n.dtype(dtype)  # refuses dtypes the target lacks
    n.attr("output_datatype", 1)
    size = n.const_list(0)
    if size is not None:
        return n.tensor(window_values(kind, int(size[0]), periodic).astype(dtype), f"{kind}_window")
    helper = n.helper("_window", _fill(_WINDOW(), vocab))
    return f"{helper}({kind!r}, {read_int(n, 0, 'the window size')}, {periodic}, {target_dtype})"


def dft_call(n, vocab: dict, read_int) -> str:
    """ONNX DFT (opset 17: axis attribute; 20: axis input) as matrix products."""
    rank = n.in_rank(0)
    if rank is None:
        n.refuse("the input rank must be known")
    inverse, onesided = bool(n.attr("inverse", 0)), bool(n.attr("onesided", 0))
    if onesided and not inverse and n.in_shape(0)[-1] == 2:
        n.refuse("onesided=1 needs a real input (last dim 1)")
    # opset 20 takes the axis as an input (default -2), opset 17 as an attribute (default 1)
    axis_const = (n.const_list(2) if n.has_input(2) else [-2]) if n.since >= 20 else [n.attr("axis", 1)]
    length_const = n.const_list(1) if n.has_input(1) else [None]
    apply = n.helper("_dft_apply", _fill(_DFT_APPLY, vocab))
    if axis_const is not None and length_const is not None:
        axis = int(axis_const[0]) % rank
        bins = n.in_shape(0)[axis]
        if isinstance(bins, int):
            length = None if length_const[0] is None else int(length_const[0])
            dtype = n.in_dtype(0)
            mats = [
                "None" if m is None else n.tensor(m.astype(dtype), "dft_matrix")
                for m in dft_matrices(bins, length, inverse, onesided)
            ]
            return f"{apply}({n.x(0)}, {axis}, {', '.join(mats)})"
    axis = str(int(axis_const[0]) % rank) if axis_const is not None else f"{read_int(n, 2, 'axis')} % {rank}"
    length = "None" if length_const == [None] else read_int(n, 1, "dft_length")
    plan = n.helper("_dft_plan", _fill(_DFT_PLAN(), vocab))
    n.require_eager("DFT's matrices are made from sizes known at run time")
    return f"{apply}({n.x(0)}, {axis}, *{plan}({n.x(0)}, {axis}, {length}, {inverse}, {onesided}))"


_STFT = """
def _stft(x, window, index, a, b, c, d):
    # ONNX STFT: frames gathered by a [frames, frame_length] index, windowed, then a DFT of each frame
    frames, length = index.shape
    y = {reshape}({gather}(x, {reshape}(index, (-1,)), 1), (x.shape[0], frames, length, x.shape[2]))
    if window is not None:
        y = y * {reshape}(window, (1, 1, length, 1))
    return _dft_apply(y, 2, a, b, c, d)
"""

_STFT_PLAN = """
def _stft_plan(x, step, length, onesided):
    # the frame index and DFT matrices for a step or frame length known only at run time
    frames = (x.shape[1] - length) // step + 1
    index = np.arange(frames)[:, None] * step + np.arange(length)[None, :]
    mats = dft_matrices(length, length, False, onesided)
    return [{tensor}(index)] + [None if m is None else {tensor}(m).astype(x.dtype) for m in mats]
"""


def frame_index(samples: int, step: int, length: int):
    """[frames, length] positions of each frame's samples (frames that fit entirely, as ONNX STFT takes)."""
    import numpy as np

    frames = (samples - length) // step + 1
    return np.arange(frames)[:, None] * step + np.arange(length)[None, :]


def stft_call(n, vocab: dict, read_int) -> str:
    """ONNX STFT (opset 17): frames, an optional window, a one-sided or full DFT per frame."""
    shape = n.in_shape(0)
    if shape is None or len(shape) != 3:
        n.refuse("the signal must be 3-D [batch, length, 1 or 2]")
    onesided = bool(n.attr("onesided", 1))
    if onesided and shape[2] == 2:
        n.refuse("onesided=1 needs a real signal (last dim 1)")
    window = n.x(2) if n.has_input(2) else "None"
    window_shape = n.in_shape(2) if n.has_input(2) else None
    if n.has_input(3):
        length_const = n.const_list(3)
        length = None if length_const is None else int(length_const[0])
    elif window_shape is not None and isinstance(window_shape[0], int):
        length = int(window_shape[0])
    else:
        n.refuse("frame_length or a window of known length is needed")
    step_const = n.const_list(1)
    n.helper("_dft_apply", _fill(_DFT_APPLY, vocab))  # _stft calls it by name
    stft = n.helper("_stft", _fill(_STFT, vocab))
    if step_const is not None and length is not None and isinstance(shape[1], int):
        index = frame_index(shape[1], int(step_const[0]), length)
        mats = [
            "None" if m is None else n.tensor(m.astype(n.in_dtype(0)), "dft_matrix")
            for m in dft_matrices(length, length, False, onesided)
        ]
        return f"{stft}({n.x(0)}, {window}, {n.tensor(index, 'frame_index')}, {', '.join(mats)})"
    n.require_eager("STFT's frames and matrices are made from sizes known at run time")
    n.helper("_dft_plan", _fill(_DFT_PLAN(), vocab))  # defines dft_matrices, which _stft_plan calls
    plan = n.helper("_stft_plan", _fill(_STFT_PLAN, vocab))
    length_src = str(length) if length is not None else read_int(n, 3, "frame_length")
    step_src = read_int(n, 1, "frame_step") if step_const is None else str(int(step_const[0]))
    return f"{stft}({n.x(0)}, {window}, *{plan}({n.x(0)}, {step_src}, {length_src}, {onesided}))"


def mel_weight_matrix(num_mel_bins, dft_length, sample_rate, lower_edge_hertz, upper_edge_hertz):
    """[dft_length // 2 + 1, num_mel_bins] triangular filters on the mel scale, as onnx.reference builds them:
    band edges rounded down to spectrogram bins, each filter rising to 1 at its centre bin and falling after."""
    import numpy as np

    edges = np.arange(num_mel_bins + 2)
    low = 2595 * np.log1p(lower_edge_hertz / 700) / np.log(10)
    high = 2595 * np.log1p(upper_edge_hertz / 700) / np.log(10)
    hertz = 700 * np.expm1((edges * ((high - low) / edges.shape[0]) + low) / 2595 * np.log(10))
    bins = (((dft_length + 1) * hertz) // sample_rate).astype(int)
    out = np.zeros((dft_length // 2 + 1, num_mel_bins))
    for i in range(num_mel_bins):
        left, centre, right = bins[i], bins[i + 1], bins[i + 2]
        if centre == left:
            out[centre, i] = 1
        else:
            for j in range(left, centre + 1):
                out[j, i] = (j - left) / (centre - left)
        for j in range(centre, right):
            out[j, i] = (right - j) / (right - centre)
    return out


_MEL = lazy_source(
    mel_weight_matrix,
    """

def _mel_weight_matrix(num_mel_bins, dft_length, sample_rate, lower_edge_hertz, upper_edge_hertz, dtype):
    # sizes and frequencies known only at run time
    return {tensor}(mel_weight_matrix(num_mel_bins, dft_length, sample_rate, lower_edge_hertz, upper_edge_hertz)).astype(dtype)
""",
)


def mel_call(n, vocab: dict, host_scalar) -> str:
    """MelWeightMatrix: a constant when every input is one, else built on the host at run time."""
    dtype = n.out_dtype(0)
    if dtype is None:
        n.refuse("the output dtype must be known")
    target_dtype = n.dtype(dtype)
    n.attr("output_datatype", 1)
    values = [n.const_list(i) for i in range(5)]
    if all(v is not None for v in values):
        args = [v[0] for v in values]
        return n.tensor(mel_weight_matrix(*args).astype(dtype), "mel_weights")
    helper = n.helper("_mel_weight_matrix", _fill(_MEL(), vocab))
    args = ", ".join(host_scalar(n, i) for i in range(5))
    return f"{helper}({args}, {target_dtype})"


# The calls the spectral helpers make, each spelled by a target.
VOCABULARY = ("moveaxis", "matmul", "unsqueeze", "gather", "reshape", "stack", "tensor")


def register(op, module: str, read_int, *, calls: str, tensor: str, host_method: str) -> None:
    """DFT, STFT, the windows and MelWeightMatrix for a target (`module`: its family module's __name__) whose
    calls are `calls.name` (VOCABULARY), `tensor` the one that makes a tensor of a numpy array: read_int(n, i,
    what) spells input i's int, `host_method` the tensor method that gives its numpy value."""
    vocab = vocabulary(calls, VOCABULARY, tensor=tensor)

    def host_scalar(n, i: int) -> str:
        """input i as a numpy scalar, read at run time (its dtype kept: the mel formulas divide integers)"""
        n.require_eager(f"input {i} is read from a tensor at run time")
        return f"{n.x(i)}.{host_method}().reshape(-1)[0]"

    floats = {"float32", "float64"}
    rows = [
        ("DFT", "dft", lambda n: dft_call(n, vocab, read_int), floats,
         "real matrix products along the axis (matrices made at convert time when sizes are constants)"),
        ("STFT", "stft", lambda n: stft_call(n, vocab, read_int), floats,
         "frames gathered by an index, windowed, and a DFT of each (one-sided by default)"),
        *((kind, "window", lambda n: window_call(n, vocab, read_int), None,
           "the window's samples: a constant for a constant size, else computed on the host at run time")
          for kind in WINDOW_KINDS),
        ("MelWeightMatrix", "mel_weight_matrix", lambda n: mel_call(n, vocab, host_scalar), None,
         "the triangular mel filters: a constant for constant inputs, else built on the host at run time"),
    ]  # fmt: skip
    for op_type, name, emit, dtypes, doc in rows:
        register_emitter(op, op_type, emit, name=name, doc=doc, module=module, dtypes=dtypes)
