"""Baseline of accepted error figures: a precision regression fails even while under the tolerance.

The file records, per item (model/target/device) and output, the worst max and mean absolute error
against the reference that were accepted. A new figure more than the profile's slack times its baseline
(see item.figures) fails the item, so a change that quietly makes a port less precise is caught the day it
lands, long before it crosses the absolute tolerance.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from porter.check.config import ConfigError

FORMAT = "porter-baseline/1"
METRICS = ("max_abs", "mean_abs")


def load_baseline(path: Path | None) -> dict:
    """{item id: {output: {max_abs, mean_abs}}}; an absent file is an empty baseline."""
    if path is None or not Path(path).exists():
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: not a readable baseline file ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("items"), dict):
        raise ConfigError(
            f"{path}: not a porter baseline (expected format {FORMAT!r}; write one with --update-baseline)"
        )
    return data["items"]


def regressions(result: dict, accepted: dict | None) -> list[str]:
    """Why the result's figures are worse than the accepted ones beyond the slack (empty: they are not)."""
    found = []
    for output, row in sorted((result.get("figures") or {}).items()):
        base = (accepted or {}).get(output)
        if not base:
            continue
        for metric in METRICS:
            if metric not in base:
                continue
            slack = row["slack"][metric]
            limit = slack * max(float(base[metric]), row["floor"])
            if row[metric] > limit:
                found.append(
                    f"output {output!r}: {metric.replace('_', ' ')} {row[metric]:.3g} against the baseline's "
                    f"{float(base[metric]):.3g} (allowed up to {slack:g}x)"
                )
    return found


def write_baseline(path: Path, results: list[dict], previous: dict) -> int:
    """Record the figures of every passed item (others keep their previous entry); returns items written."""
    items = dict(previous)
    written = 0
    for r in results:
        if r["status"] == "passed" and r.get("figures") is not None:
            items[r["id"]] = {name: {m: row[m] for m in METRICS} for name, row in sorted(r["figures"].items())}
            written += 1
    text = json.dumps({"format": FORMAT, "items": dict(sorted(items.items()))}, indent=1, sort_keys=True) + "\n"
    tmp = Path(path).with_name(f".{Path(path).name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return written
