import numpy as np

from porter.validators.metrics import compare, ulp_distance


def test_identical_outputs_have_zero_error():
    x = np.linspace(-3, 3, 50).astype(np.float32)
    m = compare(x, x.astype(np.float64))
    assert m.max_abs == 0 and m.max_ulp == 0 and m.cosine == 1.0 and m.error_bias == 0


def test_scaled_output_is_caught_although_cosine_is_one():
    x = np.linspace(1, 2, 50)
    m = compare((x * 1.01).astype(np.float32), x)
    assert m.cosine > 0.9999
    assert m.max_rel > 0.009 and m.error_bias > 0.99  # one-sided: a bias, not noise


def test_ulp_distance_counts_float32_steps():
    x = np.float32(1.0)
    assert ulp_distance(np.array([np.nextafter(x, np.float32(2))]), np.array([1.0]))[0] == 1


def test_nan_and_inf_patterns():
    m = compare(np.array([np.nan, np.inf, 1.0]), np.array([0.0, -np.inf, 1.0]))
    assert m.nan_mismatch == 1 and m.inf_mismatch == 1


def test_shape_mismatch():
    assert not compare(np.zeros(3), np.zeros(4)).shape_ok
