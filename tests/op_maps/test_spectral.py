"""op_maps/_spectral.py's numbers against numpy's FFT and windows (the formulas both targets share)."""

import numpy as np
import pytest

from porter.op_maps._spectral import dft_matrices, frame_index, mel_weight_matrix, window_values

rng = np.random.default_rng(3)


@pytest.mark.parametrize("length", [None, 5, 12])
def test_dft_matrices_forward_and_inverse(length):
    x = rng.standard_normal(8) + 1j * rng.standard_normal(8)
    for inverse, reference in ((False, np.fft.fft), (True, np.fft.ifft)):
        a, b, c, d = dft_matrices(8, length, inverse, False)
        rows = a.shape[0]
        y = x[:rows].real @ a + x[:rows].imag @ b + 1j * (x[:rows].real @ c + x[:rows].imag @ d)
        np.testing.assert_allclose(y, reference(x, n=length or 8), atol=1e-12)


def test_dft_matrices_onesided():
    x = rng.standard_normal(9)
    a, _, c, _ = dft_matrices(9, None, False, True)
    np.testing.assert_allclose(x @ a + 1j * (x @ c), np.fft.rfft(x), atol=1e-12)
    spectrum = np.fft.rfft(rng.standard_normal(10))
    a, b, c, d = dft_matrices(6, None, True, True)
    assert c is None and d is None
    np.testing.assert_allclose(spectrum.real @ a + spectrum.imag @ b, np.fft.irfft(spectrum), atol=1e-12)


def test_windows():
    np.testing.assert_allclose(window_values("hann", 7, False), np.hanning(7), atol=1e-12)
    np.testing.assert_allclose(window_values("blackman", 7, False), np.blackman(7), atol=1e-12)
    # ONNX's Hamming uses 25/46 (numpy's 0.54); periodic = the first N samples of the symmetric N + 1 window
    np.testing.assert_allclose(window_values("hamming", 6, True), window_values("hamming", 7, False)[:6])
    assert window_values("hamming", 3, False)[0] == pytest.approx(25 / 46 - 21 / 46)


def test_frame_index_keeps_whole_frames():
    np.testing.assert_array_equal(frame_index(10, 4, 3), [[0, 1, 2], [4, 5, 6]])


def test_mel_weight_matrix_matches_onnx_reference():
    from onnx import helper
    from onnx.reference import ReferenceEvaluator

    node = helper.make_node("MelWeightMatrix", ["n", "d", "r", "lo", "hi"], ["y"])
    args = [np.int64(10), np.int64(128), np.int64(8000), np.float32(0), np.float32(4000)]
    expected = ReferenceEvaluator(node).run(None, dict(zip(["n", "d", "r", "lo", "hi"], args)))[0]
    np.testing.assert_allclose(mel_weight_matrix(*args).astype(np.float32), expected)


def test_register_lists_every_spectral_op_under_the_target_module():
    from porter.op_maps._spectral import WINDOW_KINDS, register
    from porter.registry import Registry

    registry = Registry("probe")
    register(registry.register, "porter.op_maps.probe.signal", None, calls="x", tensor="x.Tensor", host_method="np")
    ops = registry.ops()
    assert set(ops) == {"DFT", "STFT", "MelWeightMatrix", *WINDOW_KINDS}
    assert {m.module for ms in ops.values() for m in ms} == {"signal"}
