"""The reports of a check run: JUnit XML (one testcase per item) and a Markdown summary for a CI step."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from porter.check.item import CONVERSION_ERROR, ERROR, FAILED, PASSED

VERDICT_WORDS = {PASSED: "pass", FAILED: "FAIL", CONVERSION_ERROR: "conversion failed", ERROR: "error"}


def headline(result: dict) -> str:
    """One line naming model, target, device, what went wrong and the first divergent node."""
    text = f"{result['model']} -> {result['target']} on {result['device']}"
    if result["status"] == PASSED:
        return f"{text}: passed"
    kind = {FAILED: "parity failure", CONVERSION_ERROR: "conversion failure", ERROR: "error"}[result["status"]]
    text = f"{text}: {kind}: {result['reason']}"
    node = result.get("first_divergent")
    if node:
        text += f"; first divergent node: {node['node'] or node['value']} ({node['op_type']}, {node['kind']})"
    return text


def properties(result: dict) -> dict[str, str]:
    """Name/value pairs for a JUnit testcase: the same in `porter check` and the pytest plugin."""
    props = {
        "porter.id": result["id"],
        "porter.status": result["status"],
        "porter.reused": str(result.get("reused", False)).lower(),
    }
    if result.get("profile"):
        props["porter.profile"] = result["profile"]
    for output, row in sorted((result.get("figures") or {}).items()):
        props[f"porter.{output}.max_abs"] = f"{row['max_abs']:.6g}"
        props[f"porter.{output}.mean_abs"] = f"{row['mean_abs']:.6g}"
    node = result.get("first_divergent")
    if node:
        props["porter.first_divergent_node"] = node["node"] or node["value"]
    return props


def junit_xml(results: list[dict], suite: str = "porter check") -> str:
    failures = sum(r["status"] == FAILED for r in results)
    errors = sum(r["status"] in (CONVERSION_ERROR, ERROR) for r in results)
    total_time = sum(_seconds(r) for r in results)
    root = ET.Element("testsuites")
    node = ET.SubElement(
        root, "testsuite", name=suite, tests=str(len(results)), failures=str(failures), errors=str(errors),
        skipped="0", time=f"{total_time:.3f}",
    )  # fmt: skip
    for r in results:
        case = ET.SubElement(
            node, "testcase", classname=f"porter.{r['model']}", name=f"{r['target']}[{r['device']}]",
            time=f"{_seconds(r):.3f}",
        )  # fmt: skip
        props = ET.SubElement(case, "properties")
        for name, value in properties(r).items():
            ET.SubElement(props, "property", name=name, value=value)
        if r["status"] == PASSED:
            continue
        tag, kind = ("failure", "parity") if r["status"] == FAILED else ("error", r["status"])
        element = ET.SubElement(case, tag, message=headline(r), type=kind)
        element.text = "\n".join(filter(None, [r["reason"], r.get("conclusion"), *r.get("regressions", [])]))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def markdown(results: list[dict]) -> str:
    counts = {s: sum(r["status"] == s for r in results) for s in VERDICT_WORDS}
    reused = sum(bool(r.get("reused")) for r in results)
    lines = [
        f"## porter check: {counts[PASSED]} passed, {counts[FAILED]} failed parity, "
        f"{counts[CONVERSION_ERROR] + counts[ERROR]} failed to convert or run ({reused} of {len(results)} reused)",
        "",
        "| model | target | device | verdict | worst max abs | first divergent node | time (s) | reused |",
        "|---|---|---|---|---:|---|---:|---|",
    ]
    for r in results:
        worst = max((row["max_abs"] for row in (r.get("figures") or {}).values()), default=None)
        node = r.get("first_divergent")
        where = f"`{node['node'] or node['value']}` ({node['op_type']})" if node else ""
        lines.append(
            f"| {r['model']} | {r['target']} | {r['device']} | {VERDICT_WORDS[r['status']]} | "
            f"{'' if worst is None else f'{worst:.3g}'} | {where} | {_seconds(r):.1f} | "
            f"{'yes' if r.get('reused') else ''} |"
        )
    problems = [r for r in results if r["status"] != PASSED]
    if problems:
        lines += ["", "### Failures", ""]
        lines += [f"- {_escape(headline(r))}" for r in problems]
    return "\n".join(lines) + "\n"


def _seconds(result: dict) -> float:
    """Time spent in this run: a reused result cost nothing now (its original time stays in the cache)."""
    return 0.0 if result.get("reused") else result.get("seconds", 0.0)


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
