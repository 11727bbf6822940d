"""What a finished (or failed) run left in the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Optional


@dataclass
class RunResult:
    run_id: str
    experiment_id: str
    status: str
    tracking_uri: str
    metrics: Dict[str, float] = field(default_factory=dict)
    error: Optional[BaseException] = None
