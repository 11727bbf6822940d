"""Figures of merit computed retrospectively from the tracking store (``sciml-mlflow report``).

Modules: schema (the report config), figures (per-run values), stats (mean with CI, olympic score),
summary (groups, ranks, Markdown/CSV), plots (PNG), html (one self-contained page), build (the pipeline).
Runs are read in bulk by ``sciml_mlflow.tracking.runstore``.
"""

from sciml_mlflow.report.schema import FigureSpec, ReportConfig, load_report_config

__all__ = ["FigureSpec", "ReportConfig", "load_report_config", "build_report"]


def build_report(*args, **kwargs):  # type: ignore[no-untyped-def]
    """See sciml_mlflow.report.build.build_report (imported lazily: it pulls in matplotlib/mlflow)."""
    from sciml_mlflow.report.build import build_report as _build

    return _build(*args, **kwargs)
