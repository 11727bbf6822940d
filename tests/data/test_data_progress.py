"""Long data work reports progress (items, bytes, rate, ETA); under a pipe as periodic log lines."""

from __future__ import annotations

import logging

from sciml_mlflow.data import progress


def test_meter_logs_counts_bytes_rate_and_eta_when_not_a_terminal(monkeypatch, caplog) -> None:
    monkeypatch.setattr(progress, "LOG_EVERY_S", 0.0)
    caplog.set_level(logging.INFO, logger="sciml_mlflow.data.progress")
    with progress.Meter("generating toy tiny", 0, "items", bar=False) as m:
        m(32, 128, 8_000_000, "patterns")  # the generators' report(done, total, bytes, unit)
        m(64, 128, 8_000_000, "patterns")
    lines = [r.getMessage() for r in caplog.records]
    assert any("64/128 patterns" in ln and "16.0 MB" in ln and "MB/s" in ln and "ETA" in ln for ln in lines), lines
    assert "in " in lines[-1] and "64 patterns" in lines[-1]


def test_verify_reports_bytes(tmp_path, monkeypatch, caplog) -> None:
    from sciml_mlflow.data.verify import HashCache, dir_digest, md5_file, verify_tree

    (tmp_path / "ds").mkdir()
    (tmp_path / "ds" / "a.bin").write_bytes(b"x" * 5_000_000)
    seen = []
    monkeypatch.setattr(progress.Meter, "update", lambda self, done=None, nbytes=0: seen.append(nbytes))
    digest = dir_digest({"a.bin": md5_file(tmp_path / "ds" / "a.bin")})
    verify_tree(tmp_path / "ds", digest, HashCache.load(tmp_path / "c.json"), full=True)
    assert sum(seen) == 5_000_000
