"""op_maps/paddle/_target.py: the weights file."""

import ml_dtypes
import numpy as np

from porter.op_maps.paddle._target import TARGET


def test_bfloat16_weights_are_stored_as_their_bits_and_read_without_pickle(tmp_path):
    rng = np.random.default_rng(0)
    half = rng.standard_normal((3, 5)).astype(ml_dtypes.bfloat16)
    full = rng.standard_normal(4).astype(np.float32)
    TARGET.write_weights({"layer.weight": half.T, "norm.weight": full}, str(tmp_path / "model.npz"))  # a view
    with np.load(tmp_path / "model.npz", allow_pickle=False) as weights:
        bits, kept = weights["layer.weight"], weights["norm.weight"]
    assert bits.dtype == np.uint16 and bits.shape == (5, 3)  # Paddle's numpy form of bfloat16
    np.testing.assert_array_equal(bits.view(ml_dtypes.bfloat16), half.T)
    assert kept.dtype == np.float32
    np.testing.assert_array_equal(kept, full)
