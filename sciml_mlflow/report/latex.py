"""The group table as LaTeX (booktabs), ready to paste into a paper; the Markdown twin is report.md.

Cells are the same display strings as the HTML and Markdown tables (``summary.table_rows``), with
LaTeX's special characters escaped and ``±`` typeset as ``$\\pm$``.
"""

from __future__ import annotations

from sciml_mlflow.report.summary import Summary, table_rows

_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
            "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def escape(text: str) -> str:
    out = "".join(_SPECIAL.get(c, c) for c in text)
    return out.replace("±", r"$\pm$").replace("—", "--")


def latex_table(summary: Summary) -> str:
    """A ``table`` environment with a ``tabular`` of the groups (needs ``\\usepackage{booktabs}``)."""
    header, rows = table_rows(summary)
    lines = [r"\begin{table}[t]", r"\centering", r"\small",
             r"\begin{tabular}{" + "l" * (len(header) - len(summary.figures)) + "r" * len(summary.figures) + "}",
             r"\toprule", " & ".join(escape(h) for h in header) + r" \\", r"\midrule"]
    lines += [" & ".join(escape(c) for c in row) + r" \\" for row in rows]
    rank = summary.rank_figure
    caption = escape(summary.cfg.title)
    if rank is not None:
        caption += (f"; ranked by {escape(rank.name)} ({rank.better} is better), $\\pm$ is the "
                    f"{summary.cfg.confidence:.0%} confidence half-width".replace("%", r"\%"))
    lines += [r"\bottomrule", r"\end{tabular}", r"\caption{" + caption + "}", r"\end{table}"]
    return "\n".join(lines) + "\n"


__all__ = ["latex_table", "escape"]
