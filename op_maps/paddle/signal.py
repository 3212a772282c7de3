"""Signal processing: DFT, STFT, MelWeightMatrix and the cosine-sum windows (Hann, Hamming, Blackman), in Paddle's calls."""

from porter.op_maps._spectral import WINDOW_KINDS, dft_call, mel_call, stft_call, window_call
from porter.op_maps.paddle._registry import op

VOCAB = {
    "moveaxis": "paddle.moveaxis",
    "matmul": "paddle.matmul",
    "unsqueeze": "paddle.unsqueeze",
    "gather": "paddle.gather",
    "reshape": "paddle.reshape",
    "stack": "paddle.stack",
    "tensor": "paddle.to_tensor",
}


def _read_int(n, i: int, what: str) -> str:
    n.require_eager(f"{what} (input {i}) is read from a tensor at run time")
    return f"int({n.x(i)}.item())"


@op("DFT", dtypes={"float32", "float64"})
def dft(n):
    """real matrix products along the axis (matrices made at convert time when sizes are constants)"""
    return dft_call(n, VOCAB, _read_int)


@op("STFT", dtypes={"float32", "float64"})
def stft(n):
    """frames gathered by an index, windowed, and a DFT of each (one-sided by default)"""
    return stft_call(n, VOCAB, _read_int)


for _op_type in WINDOW_KINDS:

    @op(_op_type)
    def window(n):
        """the window's samples: a constant for a constant size, else computed on the host at run time"""
        return window_call(n, VOCAB, _read_int)


def _host_scalar(n, i: int) -> str:
    """input i as a numpy scalar, read at run time (its dtype kept: the mel formulas divide integers)"""
    n.require_eager(f"input {i} is read from a tensor at run time")
    return f"{n.x(i)}.numpy().reshape(-1)[0]"


@op("MelWeightMatrix")
def mel_weight_matrix(n):
    """the triangular mel filters: a constant for constant inputs, else built on the host at run time"""
    return mel_call(n, VOCAB, _host_scalar)
