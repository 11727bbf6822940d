"""The framework shards and shuffles the training items (``TrainSet`` + ``epoch_order``), not benchmarks."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np

from sciml_mlflow.training import epoch_order

ROOT = Path(__file__).resolve().parents[2]


def test_single_process_order_is_a_seeded_permutation_redrawn_each_epoch():
    one, two = epoch_order(10, 1, seed=3), epoch_order(10, 2, seed=3)
    assert sorted(one) == list(range(10)) and sorted(two) == list(range(10))
    assert list(one) != list(two), "a new epoch must draw a new order (set_epoch)"
    assert list(epoch_order(10, 1, seed=3)) == list(one), "the order depends on seed and epoch only"
    assert list(epoch_order(5, 1, seed=3, shuffle=False)) == [0, 1, 2, 3, 4]
    assert len(epoch_order(0, 1, seed=3)) == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_gloo_ranks_train_disjoint_equal_shards_and_agree(tmp_path):
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    outs = [tmp_path / f"rank{r}.json" for r in range(2)]
    procs = [subprocess.Popen([sys.executable, "-m", "tests.training.shard_worker", str(r), str(port), str(o)],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for r, o in enumerate(outs)]
    logs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], "\n".join(logs)[-3000:]
    r0, r1 = (json.loads(o.read_text()) for o in outs)
    for epoch in ("1", "2"):
        a, b = r0["seen"][epoch], r1["seen"][epoch]
        assert len(a) == len(b) == 6, "11 items over 2 ranks: 6 each (one repeated) so both step equally often"
        assert set(a) | set(b) == set(range(11)), "together the ranks visit every item"
        assert len(set(a) & set(b)) <= 1, f"epoch {epoch}: shards overlap beyond the one padding item: {a} {b}"
    assert r0["seen"]["1"] != r0["seen"]["2"], "each epoch is reshuffled"
    assert r0["samples_seen"] == r1["samples_seen"] == 24, "samples_seen counts every rank's samples"
    assert np.allclose(r0["weights"], r1["weights"]), "DDP keeps the ranks' weights identical"
    assert "TrainSet" in r0["refused"], "a plain batch function under DDP must be refused, not trained unsharded"
