import numpy as np

from porter.validators.profiles import load_profile
from porter.validators.verdict import judge

CPU = load_profile("cpu")
rng = np.random.default_rng(0)
GOLDEN = rng.standard_normal(1000)


def test_within_tolerance_of_the_source_passes_and_says_so():
    source = GOLDEN.astype(np.float32)
    target = (GOLDEN * (1 + 1e-6)).astype(np.float32)
    v = judge(target, source, GOLDEN, CPU)
    assert v["passed"] and "within atol/rtol" in v["reason"]


def test_a_wrong_result_fails_with_numbers_in_the_reason():
    source = GOLDEN.astype(np.float32)
    target = (GOLDEN * 1.01).astype(np.float32)
    v = judge(target, source, GOLDEN, CPU)
    assert not v["passed"] and "MARE" in v["reason"] and "elements outside" in v["reason"]


def test_target_as_good_as_a_noisy_source_passes_on_the_golden_ratio():
    # float16: both sides round differently from the golden, and differ from each other by more than
    # atol/rtol; the target is no worse than the source against the fp64 golden, so it passes.
    golden = rng.uniform(1, 2, 1000)
    source = (golden + rng.uniform(-1, 1, 1000) * 2e-3).astype(np.float16)
    target = (golden - rng.uniform(-1, 1, 1000) * 2e-3).astype(np.float16)
    v = judge(target, source, golden, CPU)
    assert v["passed"] and "no worse than the source" in v["reason"]
    assert not judge(target, source, None, CPU)["passed"]  # without a golden there is no such argument


def test_integers_must_be_exact_and_shapes_and_nans_must_agree():
    assert judge(np.arange(4), np.arange(4), None, CPU)["passed"]
    assert "1 of 4 elements differ" in judge(np.array([0, 1, 2, 4]), np.arange(4), None, CPU)["reason"]
    assert "shape [3]" in judge(np.zeros(3, np.float32), np.zeros(4, np.float32), None, CPU)["reason"]
    nan = np.array([np.nan, 1.0], np.float32)
    assert "NaN" in judge(nan, np.ones(2, np.float32), None, CPU)["reason"]
    assert judge(nan, nan.copy(), None, CPU)["passed"]
    assert "dtype float64" in judge(np.zeros(2), np.zeros(2, np.float32), None, CPU)["reason"]


def test_an_outlier_allowance_admits_that_many_elements_and_no_more():
    ascend = load_profile("ascend")  # float16: one element in a thousand may leave the bound
    source = np.ones(2000, np.float16)
    target = source.copy()
    target[:2] = 2
    assert judge(target, source, None, ascend)["passed"]
    target[:3] = 2
    assert not judge(target, source, None, ascend)["passed"]
