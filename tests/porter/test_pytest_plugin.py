"""The pytest plugin (entry point pytest11), run by pytester in a separate sample project."""

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

pytest_plugins = "pytester"

MODELS = Path(__file__).resolve().parents[2] / "examples" / "ci" / "sample" / "models"

TESTS = """
def test_classifier(porter_parity):
    result = porter_parity("models/classifier.onnx", target="paddle")
    assert result["figures"]["probs"]["max_abs"] < 1e-5

def test_changed(porter_parity):
    porter_parity("models/classifier_changed.onnx", against="models/classifier.onnx")

def test_typo(porter_parity):
    porter_parity("models/classifier.onnx", sed=1)

def test_missing(porter_parity):
    porter_parity("models/nothing.onnx")
"""


def test_porter_parity_fixture_asserts_parity_with_junit_properties(pytester):
    shutil.copytree(MODELS, pytester.path / "models")
    pytester.makepyfile(test_models=TESTS)
    result = pytester.runpytest_subprocess("--junitxml=report.xml", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=3)
    result.stdout.fnmatch_lines(
        [
            "*classifier_changed -> paddle on cpu: parity failure: output 'probs'*"
            "first divergent node: fc2.add (Add, kernel error)*",
            "*porter_parity: unknown key 'sed'*",
            "*porter_parity.source: no such file 'models/nothing.onnx'*",
        ]
    )
    cases = {c.get("name"): c for c in ET.parse(pytester.path / "report.xml").getroot().iter("testcase")}
    props = {p.get("name"): p.get("value") for p in cases["test_classifier"].iter("property")}
    assert props["porter.id"] == "classifier/paddle/cpu" and props["porter.status"] == "passed"
    assert float(props["porter.probs.max_abs"]) < 1e-5
    changed = {p.get("name"): p.get("value") for p in cases["test_changed"].iter("property")}
    assert changed["porter.first_divergent_node"] == "fc2.add"
    # the second run reuses the results cached under the project's rootdir
    again = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-k", "classifier", "--junitxml=again.xml")
    again.assert_outcomes(passed=1, deselected=3)
    reused = {p.get("name"): p.get("value") for p in ET.parse(pytester.path / "again.xml").getroot().iter("property")}
    assert reused["porter.reused"] == "true"
