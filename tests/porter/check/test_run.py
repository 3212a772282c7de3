"""`porter check` end to end on the sample's models: exit codes, reports, cache reuse, baseline."""

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import onnx
import pytest
from onnx import TensorProto

from porter.validators.profiles import SHIPPED
from tests.models import single_node
from tests.porter.check.conftest import make_project

PASSING = '[models.classifier]\nsource = "models/classifier.onnx"\n'
# the port is generated from a copy with fc2 changed and held against the accepted model
CHANGED = '[models.classifier]\nsource = "models/classifier_changed.onnx"\nagainst = "models/classifier.onnx"\n'


def porter_check(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "porter.cli", "check", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    directory = tmp_path_factory.mktemp("sample")
    make_project(directory, PASSING)
    return directory


def test_passing_project_exits_0_with_reports_then_reuses_the_cache(sample):
    proc = porter_check("--junit", "r.xml", "--markdown", "s.md", cwd=sample)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    case = ET.parse(sample / "r.xml").getroot().find("testsuite/testcase")
    assert (case.get("classname"), case.get("name")) == ("porter.classifier", "paddle[cpu]")
    assert case.find("failure") is None and case.find("error") is None
    assert "| classifier | paddle | cpu | pass |" in (sample / "s.md").read_text()
    again = porter_check(cwd=sample)
    assert again.returncode == 0
    assert "reused from the cache: classifier/paddle/cpu" in again.stdout


def test_changed_layer_exits_1_naming_model_target_and_first_divergent_node(sample):
    config = make_project(sample, CHANGED, "broken.toml")
    proc = porter_check("--config", config, "--junit", "broken.xml", cwd=sample)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    failure = ET.parse(sample / "broken.xml").getroot().find("testsuite/testcase/failure")
    message = failure.get("message")
    assert message.startswith("classifier -> paddle on cpu: parity failure: output 'probs'")
    # fc2's MatMul and bias Add are one nn.Linear in the port: the first value it computes wrong is the Add's
    assert "first divergent node: fc2.add (Add, kernel error)" in message


def test_precision_regression_under_the_tolerance_fails_against_the_baseline(sample):
    """Under a lax profile the changed model still passes; the baseline of the accepted one catches it."""
    baseline = sample / "baseline.json"
    assert porter_check("--baseline", baseline, "--update-baseline", cwd=sample).returncode == 0
    assert "classifier/paddle/cpu" in json.loads(baseline.read_text())["items"]
    lax = json.loads(SHIPPED.read_text())["cpu"]
    lax["float32"].update(atol=1.0, rtol=1.0)
    (sample / "lax.json").write_text(json.dumps({"cpu": lax}))
    config = make_project(sample, CHANGED + 'profile = "lax.json"\n', "lax.toml")
    assert porter_check("--config", config, cwd=sample).returncode == 0  # within the absolute tolerance
    proc = porter_check("--config", config, "--baseline", baseline, cwd=sample)
    assert proc.returncode == 1
    assert "precision regression against the baseline: output 'probs': max abs" in proc.stdout
    assert "reused from the cache: classifier/paddle/cpu" in proc.stdout  # judged again, not re-run


def test_conversion_failure_exits_2_and_no_cache_reruns(tmp_path):
    model = single_node("Add", {"a": TensorProto.UINT32, "b": TensorProto.UINT32}, {"y": TensorProto.UINT32})
    onnx.save(model, tmp_path / "u.onnx")
    (tmp_path / "porter.toml").write_text('[models.odd]\nsource = "u.onnx"\n')
    proc = porter_check("--junit", "r.xml", cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "odd -> paddle on cpu: conversion failure: " in proc.stdout and "uint32" in proc.stdout
    assert ET.parse(tmp_path / "r.xml").getroot().find("testsuite/testcase/error") is not None
    assert "reused from the cache: odd/paddle/cpu" in porter_check(cwd=tmp_path).stdout
    assert "reused from the cache: none" in porter_check("--no-cache", cwd=tmp_path).stdout


def test_bad_config_exits_3_naming_file_and_key(tmp_path):
    (tmp_path / "porter.toml").write_text('[models.m]\nsource = "m.onnx"\ntarget = ["paddle"]\n')
    proc = porter_check(cwd=tmp_path)
    assert proc.returncode == 3
    assert f"{tmp_path / 'porter.toml'}: models.m: unknown key 'target'" in proc.stderr
    assert "Traceback" not in proc.stderr
