"""Operator coverage generated from the registries: `porter ops` and docs/operators.md."""

from __future__ import annotations

import onnx.defs

from porter.registry import schema_versions
from porter.targets import get_target, target_names


def onnx_default_domain_ops() -> list[str]:
    names = {s.name for s in onnx.defs.get_all_schemas_with_history() if s.domain in ("", "ai.onnx")}
    return sorted(names)


def coverage(targets: list[str] | None = None) -> dict:
    from porter import plugins

    plugins.load_configured()  # installed plugins' mappings are listed like porter's own
    targets = targets or target_names()
    registries = {t: get_target(t).registry.ops() for t in targets}
    rows = []
    for op_type in onnx_default_domain_ops():
        versions = schema_versions(op_type)
        rows.append(
            {
                "op_type": op_type,
                "versions": versions,
                "targets": {t: [m.since for m in registries[t].get(op_type, [])] for t in targets},
                "mapping": {
                    t: (registries[t][op_type][0].summary if op_type in registries[t] else "") for t in targets
                },
            }
        )
    summary = {"onnx_ops": len(rows)}
    for t in targets:
        mapped = [r for r in rows if r["targets"][t]]
        complete = [r for r in mapped if r["targets"][t] == r["versions"]]
        summary[t] = {"ops_mapped": len(mapped), "ops_all_versions": len(complete)}
    return {"ops": rows, "summary": summary, "custom": _custom_rows(targets)}


def _custom_rows(targets: list[str]) -> list[dict]:
    """Plugins' ops of custom domains: "domain::op_type", the versions onnx knows (from their define_op)."""
    rows = []
    for domain in sorted({d for t in targets for d in get_target(t).registry.custom_domains()}):
        by_target = {t: get_target(t).registry.ops(domain) for t in targets}
        for op_type in sorted({op for ops in by_target.values() for op in ops}):
            rows.append(
                {
                    "op_type": f"{domain}::{op_type}",
                    "versions": schema_versions(op_type, domain),
                    "targets": {t: [m.since for m in by_target[t].get(op_type, [])] for t in targets},
                    "mapping": {
                        t: (by_target[t][op_type][0].summary if op_type in by_target[t] else "") for t in targets
                    },
                }
            )
    return rows


def coverage_markdown(targets: list[str] | None = None) -> str:
    targets = targets or target_names()
    data = coverage(targets)
    lines = [
        "# ONNX operator coverage",
        "",
        "Generated from porter's mapping registries by `python scripts/gen_operators_doc.py`; do not edit by hand.",
        "A version number is the ONNX schema `since_version` a mapping handles; `-` means refused at convert time.",
        "",
    ]
    for t in targets:
        s = data["summary"][t]
        lines.append(
            f"- {t}: {s['ops_mapped']} of {data['summary']['onnx_ops']} default-domain operators mapped "
            f"({s['ops_all_versions']} in every opset version)"
        )
    for t in targets:
        for op_type, devices in get_target(t).registry.devices().items():
            lines.append(f"- {t}: {op_type} has its own mapping for `--device {', '.join(devices)}`")
    lines += ["", "| operator | onnx versions | " + " | ".join(targets) + " |", "|---|---|" + "---|" * len(targets)]
    for row in data["ops"] + data["custom"]:  # plugins' custom-domain ops last, as domain::op
        cells = []
        for t in targets:
            mapped = row["targets"][t]
            if not mapped:
                cells.append("-")
            elif mapped == row["versions"]:
                cells.append(f"all ({row['mapping'][t]})" if row["mapping"][t] else "all")
            else:
                cells.append(", ".join(map(str, mapped)))
        lines.append(f"| {row['op_type']} | {', '.join(map(str, row['versions']))} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
