"""Reports: JUnit XML with one testcase per item, and a Markdown summary."""

import xml.etree.ElementTree as ET

from porter.check.reports import headline, junit_xml, markdown

PASSED = {
    "id": "encoder/paddle/cpu", "model": "encoder", "target": "paddle", "device": "cpu", "status": "passed",
    "reason": "ok", "profile": "cpu", "seconds": 2.5, "reused": True,
    "figures": {"embedding": {"max_abs": 2.4e-7, "mean_abs": 3e-8}},
}  # fmt: skip
FAILED = {
    "id": "classifier/mindspore/cpu", "model": "classifier", "target": "mindspore", "device": "cpu",
    "status": "failed", "reason": "output 'probs': max abs 0.04", "profile": "cpu", "seconds": 4.0,
    "first_divergent": {"node": "fc2.matmul", "op_type": "MatMul", "value": "fc2_mm", "var": "x", "kind": "kernel error"},
    "conclusion": "kernel error: fc2.matmul", "figures": {"probs": {"max_abs": 0.1, "mean_abs": 0.04}},
}  # fmt: skip
BROKEN = {
    "id": "odd/paddle/cpu", "model": "odd", "target": "paddle", "device": "cpu", "status": "conversion-error",
    "reason": "node 'n' (Foo): unsupported", "seconds": 0.1,
}  # fmt: skip


def test_junit_has_one_testcase_per_item_with_failure_and_error():
    suite = ET.fromstring(junit_xml([PASSED, FAILED, BROKEN])).find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "1")
    cases = suite.findall("testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        ("porter.encoder", "paddle[cpu]"), ("porter.classifier", "mindspore[cpu]"), ("porter.odd", "paddle[cpu]"),
    ]  # fmt: skip
    assert cases[0].find("failure") is None and cases[0].get("time") == "0.000"  # reused: no time spent now
    props = {p.get("name"): p.get("value") for p in cases[0].iter("property")}
    assert props["porter.reused"] == "true" and props["porter.embedding.max_abs"] == "2.4e-07"
    message = cases[1].find("failure").get("message")
    assert message.startswith("classifier -> mindspore on cpu: parity failure: output 'probs'")
    assert message.endswith("first divergent node: fc2.matmul (MatMul, kernel error)")
    assert cases[2].find("error").get("type") == "conversion-error"


def test_markdown_summary_counts_and_rows():
    text = markdown([PASSED, FAILED, BROKEN])
    assert text.startswith("## porter check: 1 passed, 1 failed parity, 1 failed to convert or run (1 of 3 reused)")
    assert "| classifier | mindspore | cpu | FAIL | 0.1 | `fc2.matmul` (MatMul) | 4.0 |  |" in text
    assert "| encoder | paddle | cpu | pass | 2.4e-07 |  | 0.0 | yes |" in text
    assert f"- {headline(BROKEN)}" in text
