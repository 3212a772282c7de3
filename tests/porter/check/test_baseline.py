"""Baseline: a figure worse than its accepted value by more than the profile's slack fails the item."""

import json

import pytest

from porter.check.baseline import FORMAT, load_baseline, regressions, write_baseline
from porter.check.config import ConfigError


def result(max_abs, mean_abs, status="passed"):
    row = {"max_abs": max_abs, "mean_abs": mean_abs, "dtype": "float32", "floor": 1e-6,
           "slack": {"max_abs": 5.0, "mean_abs": 1.5}}  # fmt: skip
    return {"id": "m/paddle/cpu", "status": status, "figures": {"y": row}}


def test_within_slack_is_no_regression():
    accepted = {"y": {"max_abs": 2e-5, "mean_abs": 4e-6}}
    assert regressions(result(9e-5, 5.9e-6), accepted) == []


def test_worse_beyond_slack_names_output_metric_and_factor():
    accepted = {"y": {"max_abs": 2e-5, "mean_abs": 4e-6}}
    found = regressions(result(1.1e-4, 6.1e-6), accepted)
    assert found == [
        "output 'y': max abs 0.00011 against the baseline's 2e-05 (allowed up to 5x)",
        "output 'y': mean abs 6.1e-06 against the baseline's 4e-06 (allowed up to 1.5x)",
    ]


def test_a_bit_exact_baseline_tolerates_rounding_noise_below_the_floor():
    accepted = {"y": {"max_abs": 0.0, "mean_abs": 0.0}}
    assert regressions(result(1e-6, 1e-6), accepted) == []
    assert regressions(result(6e-6, 1e-6), accepted)  # beyond 5 x the floor


def test_no_entry_no_verdict():
    assert regressions(result(1.0, 1.0), None) == []
    assert regressions(result(1.0, 1.0), {"other": {"max_abs": 0.0}}) == []


def test_write_keeps_other_items_and_records_only_passed_ones(tmp_path):
    path = tmp_path / "baseline.json"
    write_baseline(path, [result(1e-7, 1e-8)], {"old/paddle/cpu": {"y": {"max_abs": 1.0, "mean_abs": 1.0}}})
    failed = {**result(5.0, 5.0, status="failed"), "id": "old/paddle/cpu"}
    assert write_baseline(path, [failed], load_baseline(path)) == 0
    items = load_baseline(path)
    assert items == {
        "m/paddle/cpu": {"y": {"max_abs": 1e-7, "mean_abs": 1e-8}},
        "old/paddle/cpu": {"y": {"max_abs": 1.0, "mean_abs": 1.0}},
    }
    assert json.loads(path.read_text())["format"] == FORMAT


def test_absent_file_is_empty_and_a_foreign_file_is_a_config_error(tmp_path):
    assert load_baseline(tmp_path / "none.json") == {}
    (tmp_path / "b.json").write_text('{"items": {}}')
    with pytest.raises(ConfigError, match=r"b.json: not a porter baseline"):
        load_baseline(tmp_path / "b.json")
