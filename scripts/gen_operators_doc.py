"""Regenerate docs/operators.md from the mapping registries (a test fails when it is stale).

Run: python scripts/gen_operators_doc.py
"""

from pathlib import Path

from porter.support import coverage_markdown

DOC = Path(__file__).resolve().parent.parent / "docs" / "operators.md"

if __name__ == "__main__":
    DOC.write_text(coverage_markdown(), encoding="utf-8")
    print(f"wrote {DOC}")
