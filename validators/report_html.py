"""Self-contained HTML reports (plots inlined as base64 PNG) for `porter validate` and `porter kernels`.

Every value interpolated into the page goes through porter.text.html_text (numbers through _fmt): model
files and results files are untrusted input (a forged results file can put anything in any field, the
seed included), and the report is opened in a browser.
"""

from __future__ import annotations

import base64
import io
import math

from porter.text import html_text

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:72em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.25em .6em;font-size:.9em}
th{background:#f3f3f3}.pass{color:#196c2e;font-weight:600}.fail{color:#b3261e;font-weight:600}
.reason{color:#555;max-width:50em}code{background:#f5f5f5;padding:0 .2em}
"""


def _plt():
    try:
        import matplotlib
    except ImportError:
        from porter.errors import PorterError

        raise PorterError("HTML reports need matplotlib: pip install 'porter-convert[report]'") from None

    matplotlib.use("Agg")  # no display on CI machines and Ascend servers
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    _plt().close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="plot" src="data:image/png;base64,{data}">'


def _e(value) -> str:
    return html_text(value)


def _verdict(passed: bool) -> str:
    return '<span class="pass">PASS</span>' if passed else '<span class="fail">FAIL</span>'


def _page(title: str, body: list[str]) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
        f"<style>{_STYLE}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def _fmt(x) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.3g}" if math.isfinite(x) else _e(x)
    return _e(x)


# ---- porter validate ---------------------------------------------------------------------------


def _histogram_plot(name: str, histogram: dict) -> str:
    plt = _plt()
    edges, counts = histogram["log10_edges"], histogram["counts"]
    fig, ax = plt.subplots(figsize=(5, 2.4))
    ax.bar(edges[:-1], counts, width=[b - a for a, b in zip(edges, edges[1:])], align="edge", color="#4a78b5")
    ax.set_xlabel("log10 |target - source|")
    ax.set_ylabel("elements")
    ax.set_title(f"{name}: {histogram['exact']} exact", fontsize=9, parse_math=False)  # a name may hold "$"
    return _png(fig)


def _depth_plot(rows: list[dict]) -> str:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 3))
    depth = [r["depth"] for r in rows]
    for mode, label, color in (
        ("free", "accumulated (free run)", "#b3261e"),
        ("forced", "kernel alone (fed the source's inputs)", "#4a78b5"),
    ):
        ys = [max(r[mode].get("scaled_error") or 0.0, 1e-16) for r in rows]
        ax.semilogy(depth, ys, marker="o", markersize=3, label=label, color=color)
    ax.set_xlabel("depth (node order)")
    ax.set_ylabel("max |error| / max(1, |ref|)")
    ax.legend(fontsize=8)
    return _png(fig)


def render_validate(result: dict) -> str:
    body = [
        f"<h1>porter validate: {_e(result['target'])} on {_e(result['device'])}</h1>",
        f"<p>{_verdict(result['passed'])} against <code>{_e(result['source'])}</code>; profile "
        f"<code>{_e(result['profile']['name'])}</code>; golden: {_e(result.get('golden') or 'none')}</p>",
    ]
    for s in result["sets"]:
        shapes = ", ".join(f"{i['dtype']}{i['shape']}" for i in s["inputs"])
        body.append(f"<h2>{_e(s['label'])}: {_verdict(s['passed'])}</h2><p>inputs: {_e(shapes)}</p>")
        if s.get("crashed"):
            body.append(f'<p class="fail">{_e(s["crashed"])}</p>')
            continue
        body.append(
            "<table><tr><th>output</th><th>verdict</th><th>max abs</th><th>max rel</th><th>cosine</th>"
            "<th>max ULP</th><th>error bias</th><th>why</th></tr>"
        )
        plots = []
        for o in s["outputs"]:
            m = o.get("metrics", {})
            body.append(
                f"<tr><td>{_e(o['name'])}</td><td>{_verdict(o['passed'])}</td><td>{_fmt(m.get('max_abs'))}</td>"
                f"<td>{_fmt(m.get('max_rel'))}</td><td>{_fmt(m.get('cosine'))}</td><td>{_fmt(m.get('max_ulp'))}</td>"
                f'<td>{_fmt(m.get("error_bias"))}</td><td class="reason">{_e(o["reason"])}</td></tr>'
            )
            if o.get("histogram"):
                plots.append(_histogram_plot(o["name"], o["histogram"]))
        body.append("</table>")
        body += plots
    lw = result.get("layerwise")
    if lw:
        body.append(f"<h2>Layerwise search ({_e(lw['input_set'])})</h2><p><b>{_e(lw['conclusion'])}</b></p>")
        body.append(_depth_plot(lw["rows"]))
        body.append(
            "<table><tr><th>depth</th><th>node</th><th>op</th><th>variable</th><th>accumulated</th>"
            "<th>kernel alone</th><th>why (kernel alone)</th></tr>"
        )
        for r in lw["rows"]:
            body.append(
                f"<tr><td>{_e(r['depth'])}</td><td>{_e(r['node'])}</td><td>{_e(r['op_type'])}</td><td>{_e(r['var'])}</td>"
                f"<td>{_verdict(r['free']['passed'])} {_fmt(r['free'].get('scaled_error'))}</td>"
                f"<td>{_verdict(r['forced']['passed'])} {_fmt(r['forced'].get('scaled_error'))}</td>"
                f'<td class="reason">{_e(r["forced"]["reason"])}</td></tr>'
            )
        body.append("</table>")
    return _page(f"porter validate {result['target']}", body)


# ---- porter kernels ----------------------------------------------------------------------------


def _heat_map(ops: list[str], dtypes: list[str], table: dict) -> str:
    plt = _plt()
    import numpy as np

    grid = np.full((len(ops), len(dtypes)), np.nan)
    for i, op in enumerate(ops):
        for j, dt in enumerate(dtypes):
            cell = table.get(op, {}).get(dt)
            if cell and cell.get("worst_scaled_error") is not None:
                grid[i, j] = math.log10(max(cell["worst_scaled_error"], 1e-16))
    fig, ax = plt.subplots(figsize=(2 + 1.2 * len(dtypes), max(3, 0.18 * len(ops))))
    image = ax.imshow(grid, aspect="auto", cmap="viridis", vmin=-16, vmax=0)
    ax.set_xticks(range(len(dtypes)), dtypes, parse_math=False)
    ax.set_yticks(range(len(ops)), ops, fontsize=6, parse_math=False)
    fig.colorbar(image, ax=ax, label="log10 worst |error vs golden| / max(1,|golden|)")
    return _png(fig)


def render_kernels(result: dict) -> str:
    table, dtypes = result["table"], result["dtypes"]
    ops = sorted(table)
    body = [
        f"<h1>porter kernels: {_e(result['target'])} on {_e(result['device'])}</h1>",
        f"<p>{len(ops)} ops, {_e(result['cases'])} cases, seed {_e(result['seed'])}, profile "
        f"<code>{_e(result['profile']['name'])}</code>. Golden: onnx.reference in float64.</p>",
        _heat_map(ops, dtypes, table),
        "<table><tr><th>op</th>" + "".join(f"<th>{_e(d)}</th>" for d in dtypes) + "</tr>",
    ]
    for op in ops:
        cells = []
        for dt in dtypes:
            c = table[op].get(dt)
            if not c:
                cells.append("<td>-</td>")
                continue
            if not c["cases"]:
                cells.append(f'<td title="{_e(c.get("note", ""))}">{_e(c.get("status", "n/a"))}</td>')
                continue
            cells.append(
                f'<td title="{_e(c.get("note", ""))}">{_verdict(c["passed"] == c["cases"])} {_e(c["passed"])}/{_e(c["cases"])}'
                f" &middot; {_fmt(c['worst_scaled_error'])} &middot; {_fmt(c['worst_ulp'])} ULP</td>"
            )
        body.append(f"<tr><td>{_e(op)}</td>{''.join(cells)}</tr>")
    body.append(
        "</table><p>Cell: cases within the profile / cases run &middot; worst scaled error against the "
        "fp64 golden &middot; worst ULP distance.</p>"
    )
    return _page(f"porter kernels {result['target']}", body)
