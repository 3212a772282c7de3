"""HTML reports escape every field, numbers from a results file included."""

import pytest

from porter.validators.report_html import render_kernels, render_validate

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(autouse=True)
def _needs_matplotlib():
    pytest.importorskip("matplotlib")


def test_kernels_report_escapes_the_seed_and_counts():
    cell = {"cases": SCRIPT, "passed": SCRIPT, "worst_scaled_error": 0.5, "worst_ulp": SCRIPT, "note": SCRIPT}
    result = {"target": "paddle", "device": "cpu", "profile": {"name": "cpu"}, "dtypes": ["float32"],
              "seed": SCRIPT, "cases": SCRIPT, "table": {"Relu$\\alpha$": {"float32": cell}}}  # fmt: skip
    page = render_kernels(result)
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_validate_report_escapes_names_and_survives_mathtext():
    output = {"name": "$\\frac{" + SCRIPT, "passed": False, "reason": SCRIPT, "metrics": {"max_abs": SCRIPT},
              "histogram": {"log10_edges": [-3.0, -2.0], "counts": [1], "exact": 0}}  # fmt: skip
    result = {"target": "paddle", "device": "cpu", "source": SCRIPT, "profile": {"name": SCRIPT}, "passed": False,
              "sets": [{"label": SCRIPT, "passed": False, "inputs": [], "outputs": [output]}],
              "layerwise": {"input_set": SCRIPT, "conclusion": SCRIPT, "rows": [
                  {"depth": SCRIPT, "node": SCRIPT, "op_type": SCRIPT, "var": SCRIPT,
                   "free": {"passed": False, "scaled_error": 1e-3}, "forced": {"passed": False, "scaled_error": 1e-3,
                                                                              "reason": SCRIPT}}]}}  # fmt: skip
    page = render_validate(result)
    assert "<script>" not in page and page.count("&lt;script&gt;") >= 8
