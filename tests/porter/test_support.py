from pathlib import Path

from porter.support import coverage, coverage_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "operators.md"


def test_operators_doc_is_up_to_date():
    assert DOC.read_text(encoding="utf-8") == coverage_markdown(), (
        "docs/operators.md is stale: run python scripts/gen_operators_doc.py"
    )


def test_coverage_counts_are_consistent():
    data = coverage(["paddle"])
    mapped = [r for r in data["ops"] if r["targets"]["paddle"]]
    assert data["summary"]["paddle"]["ops_mapped"] == len(mapped)
    for row in mapped:
        assert set(row["targets"]["paddle"]) <= set(row["versions"])
