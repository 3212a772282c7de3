import json

import pytest

from porter.validators.profiles import DEVICE_CLASSES, ProfileError, device_class, load_profile


@pytest.mark.parametrize("name", DEVICE_CLASSES)
def test_every_shipped_profile_has_the_three_float_dtypes(name):
    profile = load_profile(name)
    for dtype in ("float32", "float16", "bfloat16"):
        bounds = profile.bounds(dtype)
        assert bounds.atol > 0 and bounds.rtol > 0 and set(bounds.golden_ratio) == {"mare", "mere", "rmse"}
    assert profile.bounds("int64") is None  # integers are exact: no row


def test_half_precision_bounds_are_looser_than_float32_everywhere():
    for name in DEVICE_CLASSES:
        p = load_profile(name)
        assert p.bounds("float16").rtol > p.bounds("float32").rtol
        assert p.bounds("bfloat16").rtol > p.bounds("float16").rtol


@pytest.mark.parametrize(
    ("device", "cls"),
    [("cpu", "cpu"), ("gpu", "gpu"), ("gpu:1", "gpu"), ("npu", "ascend"), ("Ascend", "ascend"), ("mlu", "gpu")],
)
def test_device_strings_pick_a_device_class(device, cls):
    assert device_class(device) == cls
    assert load_profile(None, device).name == cls


def test_a_user_profile_file_is_read(tmp_path):
    path = tmp_path / "strict.json"
    row = {"atol": 1e-9, "rtol": 1e-9, "outlier_fraction": 0, "golden_ratio": {"mare": 1.0}}
    path.write_text(json.dumps({"cpu": {"float32": row}}))
    profile = load_profile(str(path), "cpu")
    assert profile.bounds("float32").atol == 1e-9 and profile.bounds("float16") is None


def test_a_broken_profile_names_what_is_wrong(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text(json.dumps({"cpu": {"float32": {"atol": 1e-5}}}))
    with pytest.raises(ProfileError, match="float32.*missing rtol"):
        load_profile(str(path), "cpu")
    with pytest.raises(ProfileError, match="unknown profile 'tpu'"):
        load_profile("tpu")
