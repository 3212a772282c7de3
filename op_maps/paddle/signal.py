"""Signal processing: DFT, STFT, MelWeightMatrix and the cosine-sum windows (Hann, Hamming, Blackman), in Paddle's calls."""

from porter.op_maps import _spectral as spectral
from porter.op_maps.paddle._registry import op


def _read_int(n, i: int, what: str) -> str:
    n.require_eager(f"{what} (input {i}) is read from a tensor at run time")
    return f"int({n.x(i)}.item())"


spectral.register(op, __name__, calls="paddle", read_int=_read_int, tensor="paddle.to_tensor", host_method="numpy")
