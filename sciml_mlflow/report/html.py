"""The self-contained HTML page of a report.

Users' clusters are often offline, so the page loads nothing: styles are inline and the plots are
embedded as base64 ``data:`` URIs.  One file, viewable anywhere, attachable to an MLflow run.
"""

from __future__ import annotations

import base64
import html
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict

from sciml_mlflow.report.summary import Summary, tables

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}
th{background:#f0f0f0} tr:nth-child(even) td{background:#fafafa}
figure{margin:1.5rem 0} figcaption{font-size:.9rem;color:#555}
img{max-width:100%;height:auto;border:1px solid #ddd}
.meta{color:#666;font-size:.85rem}
"""


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f"data:image/png;base64,{data}"


def render(summary: Summary, plots: Dict[str, Path], source: str) -> str:
    """The page as one string (tables + inline images)."""
    esc = html.escape
    parts = ["<!DOCTYPE html>", "<html lang='en'><head><meta charset='utf-8'>",
             f"<title>{esc(summary.cfg.title)}</title><style>{_STYLE}</style></head><body>",
             f"<h1>{esc(summary.cfg.title)}</h1>",
             f"<p class='meta'>Source: {esc(source)} &middot; {sum(len(g.runs) for g in summary.groups)} runs in "
             f"{len(summary.groups)} groups &middot; generated {datetime.now(timezone.utc):%Y-%m-%d %H:%M UTC}</p>"]
    rank = summary.rank_figure
    if rank is not None:
        parts.append(f"<p>Ranked by <code>{esc(rank.name)}</code> ({esc(rank.better)} is better); &plusmn; is the "
                     f"{summary.cfg.confidence:.0%} confidence half-width (Student t) over the group's runs.</p>")
    for bench, header, rows in tables(summary):  # one table per benchmark: its own columns, no '-' of others
        parts.append(f"<h2>{esc(bench)}</h2><table class='groups' data-benchmark='{esc(bench)}'><thead><tr>"
                     + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr></thead><tbody>")
        for r in rows:
            parts.append("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>")
        parts.append("</tbody></table>")
    parts.append("<h2>Figures of merit</h2><table id='figures'><thead><tr><th>name</th><th>kind</th><th>aggregate</th>"
                 "<th>better</th><th>description</th></tr></thead><tbody>")
    for f in summary.figures:
        parts.append(f"<tr><td>{esc(f.name)}</td><td>{esc(f.kind)}</td><td>{esc(f.aggregate)}</td>"
                     f"<td>{esc(f.better)}</td><td>{esc(f.description)}</td></tr>")
    parts.append("</tbody></table><h2>Plots</h2>")
    for caption, path in plots.items():
        parts.append(f"<figure><img alt='{esc(caption)}' src='{_img(path)}'><figcaption>{esc(caption)}"
                     f"</figcaption></figure>")
    parts.append("</body></html>")
    return "\n".join(parts)


__all__ = ["render"]
