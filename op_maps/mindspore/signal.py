"""Signal processing for MindSpore: DFT, STFT, MelWeightMatrix and the cosine-sum windows (Hann, Hamming, Blackman)."""

from porter.op_maps import _spectral as spectral
from porter.op_maps.mindspore._registry import op
from porter.op_maps.mindspore._runtime_values import int_value

spectral.register(op, __name__, calls="ops", read_int=int_value, tensor="mindspore.Tensor", host_method="asnumpy")
