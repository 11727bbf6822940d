"""Rules and compliance (MLPerf-style divisions).  Foundation version: records the division only."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Optional


@dataclass
class Compliance:
    """Outcome of the pre-run rule check: tags for the run and artifacts (file name -> text)."""

    tags: Dict[str, str] = field(default_factory=dict)
    artifacts: Dict[str, str] = field(default_factory=dict)


def precheck(cfg: Any, profile: Any, mismatch: Optional[str]) -> Compliance:
    """Check the composed config against the active ruleset before any work (open: record only)."""
    r = cfg.rules
    return Compliance(tags={
        "compliance.division": r.division,
        "compliance.ruleset": r.ruleset,
        "compliance.version": str(r.version),
        "compliance.status": "not_checked" if r.division == "open" else "unknown",
        "compliance.violations": "0",
    })
