"""The group table as LaTeX (booktabs), ready to paste into a paper; the Markdown twin is report.md.

Cells are the same display strings as the HTML and Markdown tables (``summary.tables``, one table per benchmark), with
LaTeX's special characters escaped and ``±`` typeset as ``$\\pm$``.
"""

from __future__ import annotations

from sciml_mlflow.report.summary import Summary, tables

_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
            "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def escape(text: str) -> str:
    out = "".join(_SPECIAL.get(c, c) for c in text)
    return out.replace("±", r"$\pm$").replace("—", "--")


def latex_table(summary: Summary) -> str:
    """One ``table`` environment per benchmark, each a ``tabular`` of its groups (needs ``\\usepackage{booktabs}``)."""
    out = []
    for bench, header, rows in tables(summary):
        n_text = 2 + len(summary.cfg.group_by)  # rank, the group keys, runs
        lines = [r"\begin{table}[t]", r"\centering", r"\small",
                 r"\begin{tabular}{" + "l" * n_text + "".join("l" if h == "flags" else "r" for h in header[n_text:]) + "}",
                 r"\toprule", " & ".join(escape(h) for h in header) + r" \\", r"\midrule"]
        lines += [" & ".join(escape(c) for c in row) + r" \\" for row in rows]
        rank = summary.rank_figure
        caption = f"{escape(summary.cfg.title)}: {escape(bench)}"
        if rank is not None:
            caption += (f"; ranked by {escape(rank.name)} ({rank.better} is better), $\\pm$ is the "
                        f"{summary.cfg.confidence:.0%} confidence half-width".replace("%", r"\%"))
        lines += [r"\bottomrule", r"\end{tabular}", r"\caption{" + caption + "}", r"\end{table}"]
        out.append("\n".join(lines) + "\n")
    return "\n".join(out)


__all__ = ["latex_table", "escape"]
