"""The list of known numeric deviations, read from docs/known-deviations.md (the single source)."""

from __future__ import annotations

from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "known-deviations.md"


def known_deviations(target: str, doc: Path = DOC) -> dict[str, str]:
    """case name -> cause, for one target (empty when the doc is not shipped, e.g. in a wheel)."""
    if not doc.exists():
        return {}
    rows = {}
    for line in doc.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] == target:
            rows[cells[1].strip("`")] = cells[2]
    return rows
