"""Target-neutral cases for op_maps/<target>/signal.py (DFT and the windows)."""

import numpy as np

from tests.op_maps.harness import NodeCase

rng = np.random.default_rng(7)
REAL = rng.standard_normal((2, 8, 3, 1)).astype(np.float32)
COMPLEX = rng.standard_normal((2, 8, 3, 2)).astype(np.float32)
I64 = np.int64

CASES = [
    NodeCase("dft_real_axis1", "DFT", {"x": REAL, "n": None, "axis": np.array(1, I64)}, consts=("axis",), opset=20),
    NodeCase(  # zero-padded to 11 samples along axis 2 (given as a negative axis)
        "dft_complex_padded",
        "DFT",
        {"x": COMPLEX, "n": np.array(11, I64), "axis": np.array(-2, I64)},
        consts=("n", "axis"),
        opset=20,
    ),
    NodeCase(  # truncated to 5 samples, one-sided spectrum
        "dft_rfft_truncated",
        "DFT",
        {"x": REAL, "n": np.array(5, I64), "axis": np.array(1, I64)},
        attrs={"onesided": 1},
        consts=("n", "axis"),
        opset=20,
    ),
    NodeCase("dft_inverse_v17", "DFT", {"x": COMPLEX}, attrs={"inverse": 1, "axis": 1}, opset=17),
    NodeCase(  # the inverse of a one-sided spectrum of 5 bins: 8 real samples
        "dft_irfft",
        "DFT",
        {"x": COMPLEX[:, :5], "n": None, "axis": np.array(1, I64)},
        attrs={"inverse": 1, "onesided": 1},
        consts=("axis",),
        opset=20,
    ),
    NodeCase(  # axis and length read at run time (eager only)
        "dft_runtime_axis_length",
        "DFT",
        {"x": COMPLEX, "n": np.array(6, I64), "axis": np.array(1, I64)},
        opset=20,
    ),
    NodeCase(
        "dft_onesided_complex_refused",
        "DFT",
        {"x": COMPLEX},
        attrs={"onesided": 1, "axis": 1},
        opset=17,
        refuse="onesided=1 needs a real input",
    ),
    NodeCase("hann_window_const", "HannWindow", {"size": np.array(7, np.int32)}, consts=("size",), opset=17),
    NodeCase(
        "hamming_window_symmetric_double",
        "HammingWindow",
        {"size": np.array(9, I64)},
        attrs={"periodic": 0, "output_datatype": 11},
        opset=17,
        output_shapes={0: [9]},  # the harness would otherwise give the output the size's dtype
    ),
    NodeCase(
        "blackman_window_runtime", "BlackmanWindow", {"size": np.array(12, np.int32)}, opset=17, output_shapes={0: [12]}
    ),
]

SIGNAL = rng.standard_normal((2, 40, 1)).astype(np.float32)
CASES += [
    NodeCase(  # constant step and window: frames and matrices made at convert time
        "stft_window_const",
        "STFT",
        {"x": SIGNAL, "step": np.array(6, I64), "w": np.hanning(10).astype(np.float32)},
        consts=("step", "w"),
        opset=17,
    ),
    NodeCase(  # step and frame_length read at run time; a full (two-sided) spectrum of a complex signal
        "stft_complex_runtime",
        "STFT",
        {"x": COMPLEX[:, :, 0, :].copy(), "step": np.array(2, I64), "w": None, "len": np.array(4, I64)},
        attrs={"onesided": 0},
        opset=17,
    ),
    NodeCase(
        "stft_onesided_complex_refused",
        "STFT",
        {"x": COMPLEX[:, :, 0, :].copy(), "step": np.array(2, I64), "w": None, "len": np.array(4, I64)},
        consts=("len",),
        opset=17,
        refuse="onesided=1 needs a real signal",
    ),
]

_MEL_ARGS = {
    "bins": np.array(8, I64),
    "dft": np.array(64, I64),
    "rate": np.array(16000, I64),
    "low": np.float32(20),
    "high": np.float32(7600),
}
CASES += [
    NodeCase("mel_weight_matrix_const", "MelWeightMatrix", dict(_MEL_ARGS), consts=tuple(_MEL_ARGS), opset=17),
    NodeCase(  # every input read at run time (eager only)
        "mel_weight_matrix_runtime", "MelWeightMatrix", dict(_MEL_ARGS), opset=17, output_shapes={0: [33, 8]}
    ),
]
