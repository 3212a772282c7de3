"""Render `porter kernels --json` results as the Markdown tables in docs/numerics.md.

python scripts/kernels_table.py /tmp/kernels-paddle.json /tmp/kernels-mindspore.json
"""

from __future__ import annotations

import json
import sys


def _cell(c: dict | None) -> str:
    if not c:
        return "-"
    if not c["cases"]:
        return c.get("status", "-")
    err = c["worst_scaled_error"]
    return f"{c['passed']}/{c['cases']} ({err:.1e})" if err else f"{c['passed']}/{c['cases']} (0)"


def render(result: dict) -> str:
    dtypes = result["dtypes"]
    t = result["totals"]
    lines = [
        f"### {result['target']} on {result['device']} (profile {result['profile']['name']}, seed {result['seed']})",
        "",
        f"{t['ran']} cases ran, {t['within_profile']} within the profile; {t['refused']} refused at conversion "
        f"(dtype or attribute the mapping does not take), {t['crashed']} crashed.",
        "",
        "| dtype | ops with cases | all cases within profile | ops with a case outside |",
        "|---|---|---|---|",
    ]
    for dt in dtypes:
        cells = {op: row[dt] for op, row in result["table"].items() if dt in row and row[dt]["cases"]}
        clean = [op for op, c in cells.items() if c["passed"] == c["cases"]]
        outside = sorted(op for op, c in cells.items() if c["passed"] < c["cases"])
        lines.append(f"| {dt} | {len(cells)} | {len(clean)} | {', '.join(outside) or 'none'} |")
    lines += [
        "",
        "<details><summary>Every op (cases within profile / cases run, worst error scaled by max(1, |golden|))</summary>",
        "",
    ]
    lines += ["| op | " + " | ".join(dtypes) + " |", "|---" * (len(dtypes) + 1) + "|"]
    for op in sorted(result["table"]):
        lines.append(f"| {op} | " + " | ".join(_cell(result["table"][op].get(dt)) for dt in dtypes) + " |")
    lines += ["", "</details>", ""]
    return "\n".join(lines)


def main(paths: list[str]) -> int:
    for path in paths:
        with open(path, encoding="utf-8") as f:
            print(render(json.load(f)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
