"""Signal processing for MindSpore: DFT, STFT, MelWeightMatrix and the cosine-sum windows (Hann, Hamming, Blackman)."""

from porter.op_maps._spectral import WINDOW_KINDS, dft_call, mel_call, stft_call, window_call
from porter.op_maps.mindspore._registry import op
from porter.op_maps.mindspore._runtime_values import int_value

VOCAB = {
    "moveaxis": "ops.moveaxis",
    "matmul": "ops.matmul",
    "unsqueeze": "ops.unsqueeze",
    "gather": "ops.gather",
    "reshape": "ops.reshape",
    "stack": "ops.stack",
    "tensor": "mindspore.Tensor",
}


@op("DFT", dtypes={"float32", "float64"})
def dft(n):
    """real matrix products along the axis (matrices made at convert time when sizes are constants)"""
    return dft_call(n, VOCAB, int_value)


@op("STFT", dtypes={"float32", "float64"})
def stft(n):
    """frames gathered by an index, windowed, and a DFT of each (one-sided by default)"""
    return stft_call(n, VOCAB, int_value)


for _op_type in WINDOW_KINDS:

    @op(_op_type)
    def window(n):
        """the window's samples: a constant for a constant size, else computed on the host at run time"""
        return window_call(n, VOCAB, int_value)


def _host_scalar(n, i: int) -> str:
    """input i as a numpy scalar, read at run time (its dtype kept: the mel formulas divide integers)"""
    n.require_eager(f"input {i} is read from a tensor at run time")
    return f"{n.x(i)}.asnumpy().reshape(-1)[0]"


@op("MelWeightMatrix")
def mel_weight_matrix(n):
    """the triangular mel filters: a constant for constant inputs, else built on the host at run time"""
    return mel_call(n, VOCAB, _host_scalar)
