"""The pre-run compliance check (the runner's ``rules.precheck`` hook).

Runs before any MLflow run exists, so a refused config leaves nothing behind.  Under ``rules=closed``
with ``enforce=true`` a violation raises RuleViolationError (HardwareMismatchError when the machine is
not the configured profile) with a table of (key, value, constraint); otherwise the run goes ahead and
carries ``compliance.*`` tags plus ``config/compliance.json`` listing every check and its outcome.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional

from sciml_mlflow.errors import HardwareMismatchError, RuleViolationError
from sciml_mlflow.rules.constraints import Check, check_hyperparameters
from sciml_mlflow.rules.table import LoadedTable, RuleTable, load_table

log = logging.getLogger(__name__)


@dataclass
class Compliance:
    """Outcome of the pre-run rule check: tags for the run and artifacts (file name -> text)."""

    tags: Dict[str, str] = field(default_factory=dict)
    artifacts: Dict[str, str] = field(default_factory=dict)
    checks: List[Check] = field(default_factory=list)

    @property
    def violations(self) -> List[Check]:
        return [c for c in self.checks if c.ok is False]


def flat_config(cfg: Any) -> Dict[str, Any]:
    """The composed config as dotted keys -> values (the same keys the run's params use)."""
    from omegaconf import OmegaConf

    from sciml_mlflow.tracking.params import flatten

    return flatten(OmegaConf.to_container(cfg, resolve=True))  # type: ignore[arg-type]


def dataset_checks(table: RuleTable, name: Optional[str], scale: Optional[str], digest: Optional[str]) -> List[Check]:
    """Dataset identity; a pinned digest is deferred (None) until the data layer has staged the data."""
    out: List[Check] = []
    rule = table.dataset
    if rule.name is not None:
        ok = name == rule.name
        out.append(Check("dataset", "dataset.name", repr(name), f"== {rule.name!r}", ok,
                         "" if ok else "closed results must use the reference dataset"))
    pinned = rule.digests.get(scale or "")
    if pinned:
        if digest is None:
            out.append(Check("dataset", "dataset.digest", "<not staged yet>", f"== {pinned}", None,
                             "checked after the run by `sciml-mlflow check`"))
        else:
            ok = digest == pinned
            out.append(Check("dataset", "dataset.digest", digest, f"== {pinned}", ok,
                             "" if ok else "the dataset content differs from the pinned one"))
    return out


def target_check(table: RuleTable, target: Optional[Mapping[str, Any]]) -> List[Check]:
    """A closed run may not lower the quality bar of the table's target."""
    if table.target is None:
        return []
    t = table.target
    want = f"{t.metric} {'>=' if t.mode == 'max' else '<='} {t.value}"
    if not target:
        return [Check("target", "benchmark.target", "None", want, False, "the run names no target")]
    shown = f"{target.get('metric')} {'>=' if target.get('mode') == 'max' else '<='} {target.get('value')}"
    value = float(target.get("value", float("nan")))
    stricter = value >= t.value if t.mode == "max" else value <= t.value
    ok = target.get("metric") == t.metric and target.get("mode") == t.mode and stricter
    return [Check("target", "benchmark.target", shown, want, ok, "" if ok else "target differs from the rules")]


def violation_table(checks: List[Check]) -> str:
    """Plain-text table of failed checks, for error messages and logs."""
    rows = [("key", "value", "constraint", "why")] + [(c.key, c.value, c.constraint, c.message) for c in checks]
    widths = [min(60, max(len(r[i]) for r in rows)) for i in range(4)]
    lines = ["  ".join(str(v)[:60].ljust(w) for v, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _report(cfg: Any, loaded: Optional[LoadedTable], status: str, checks: List[Check]) -> str:
    r = cfg.rules
    return json.dumps({
        "division": r.division, "ruleset": r.ruleset, "version": str(r.version), "enforce": bool(r.enforce),
        "benchmark": cfg.benchmark.name, "status": status,
        "table": None if loaded is None else {"path": str(loaded.path), "version": loaded.table.version,
                                             "digest": loaded.digest},
        "violations": sum(1 for c in checks if c.ok is False),
        "checks": [c.as_dict() for c in checks],
    }, indent=2)


def precheck(cfg: Any, profile: Any, mismatch: Optional[str]) -> Compliance:
    """Check the composed config against the active ruleset before any work.

    Open division: evaluated against the benchmark's closed table when one exists, for the record
    (``compliance.deviations``); never refused.  Closed: violations refuse the run when enforced.
    """
    r = cfg.rules
    closed = r.division == "closed"
    loaded = load_table(cfg.benchmark.name, r.table_dir)
    checks: List[Check] = []
    if loaded is None:
        if closed and r.require_table:
            checks.append(Check("table", "rules.table", "<none>", f"ruletables/{cfg.benchmark.name}.yaml", False,
                                "closed rules need a rule table for this benchmark"))
    else:
        t = loaded.table
        values = flat_config(cfg)
        checks += check_hyperparameters(t, values)
        checks += dataset_checks(t, cfg.benchmark.dataset.name, cfg.benchmark.dataset.scale, None)
        tgt = cfg.benchmark.target
        checks += target_check(t, None if tgt is None else {"metric": tgt.metric, "value": tgt.value, "mode": tgt.mode})
    hw_name = getattr(profile, "name", cfg.hardware.name)
    checks.append(Check("hardware", "hardware", str(getattr(profile, "detected", "?")), f"== {hw_name!r}",
                        mismatch is None, mismatch or ""))
    failed = [c for c in checks if c.ok is False]
    if closed:
        status = "non_compliant" if failed else "compliant"
    else:
        status = "open"
    tags = {
        "compliance.division": r.division,
        "compliance.ruleset": r.ruleset,
        "compliance.version": str(r.version),
        "compliance.status": status,
        "compliance.violations": str(len(failed)) if closed else "0",
    }
    if not closed:
        tags["compliance.deviations"] = str(len(failed))
    if loaded is not None:
        tags["compliance.table_version"] = loaded.table.version
        tags["compliance.table_digest"] = loaded.digest
    if closed and failed:
        where = f"benchmark {cfg.benchmark.name!r}, rules {r.ruleset} {r.version}"
        msg = (f"{len(failed)} closed-division rule violation(s) ({where}):\n{violation_table(failed)}\n"
               f"Fix the overrides, choose rules=open, or run anyway tagged non-compliant with rules.enforce=false.")
        if r.enforce:
            if any(c.check == "hardware" for c in failed):
                raise HardwareMismatchError(msg)
            raise RuleViolationError(msg)
        log.warning("running a NON-COMPLIANT closed-division run (rules.enforce=false):\n%s", violation_table(failed))
    artifacts = {"compliance.json": _report(cfg, loaded, status, checks)}
    if loaded is not None:
        artifacts["ruletable.yaml"] = loaded.path.read_text()
    return Compliance(tags=tags, artifacts=artifacts, checks=checks)


__all__ = ["Compliance", "precheck", "flat_config", "dataset_checks", "target_check", "violation_table"]
