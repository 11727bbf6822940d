"""``hydra/launcher=slurm`` against a real SLURM cluster: sbatch job arrays, sacct, walltime, scancel, requeue,
and DDP over srun tasks.

One module on purpose: the cluster (tests/fixtures/slurm.py) starts once for it.  The jobs are toy
benchmarks (tests/fixtures/toy_collection.py, plus ``toy_slow`` here: one ``loss`` per second); the cost is
the import of mlflow + torch in each job process.  The walltime/requeue test waits on SLURM's clock (a
1-minute limit, the shortest sbatch takes) while both of its sweeps sleep, so it costs wall time, not CPU.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.services]

COMMON = ["hardware=cpu", "progress=false", "hydra/launcher=slurm"]

_SLOW = '''
import time


def train(ctx):
    for step in range(int(ctx.options.get("steps", 3))):
        ctx.metrics.log("loss", 1.0 / (step + 1), step=step)
        time.sleep(float(ctx.options.get("step_s", 0)))
    ctx.metrics.log("val_accuracy", 0.6, step=0)
'''


@pytest.fixture(scope="module")
def toys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.fixtures.toy_collection import build_toy_collection

    root = build_toy_collection(tmp_path_factory.mktemp("slurm-toys"))
    bench = root / "benchmarks" / "toy_slow"
    bench.mkdir()
    (bench / "benchmark.py").write_text(_SLOW)
    (bench / "dataset.py").write_text((root / "benchmarks" / "toy_sweep" / "dataset.py").read_text())
    card = (root / "conf" / "benchmark" / "toy_sweep.yaml").read_text()
    card = card.replace("toy_sweep", "toy_slow").replace("{fail_seed: -1, sleep_s: 0}", "{steps: 3, step_s: 0}")
    (root / "conf" / "benchmark" / "toy_slow.yaml").write_text(card)
    return root


@pytest.fixture()
def toys(toys_dir: Path, mlflow_client, monkeypatch: pytest.MonkeyPatch):
    """The toy collection and a private, initialised store (a fresh one costs each sweep ~8 s of migrations)."""
    monkeypatch.setenv("SCIML_MLFLOW_BENCHMARKS", str(toys_dir))
    return mlflow_client


class StoppedSweeps:
    """Two one-job sweeps started at once and left to run while the other tests do: one hits its walltime,
    the other is requeued (scontrol requeue) once its run logs, then cancelled (scancel) once the new attempt
    logs; a thread drives the second.  ``done()`` joins everything."""

    def __init__(self, cluster, toys_dir: Path, root: Path, store_template: Path, data_root: Path) -> None:
        import os
        import shutil
        import threading

        home = root / "home"
        home.mkdir(parents=True)
        shutil.copy(store_template, home / "mlflow.db")
        self.cluster, self.home = cluster, home
        env = {**os.environ, "SCIML_MLFLOW_HOME": str(home), "SCIML_DATA_DIR": str(data_root),
               "SCIML_MLFLOW_BENCHMARKS": str(toys_dir)}
        env.pop("MLFLOW_TRACKING_URI", None)
        env.pop("MLFLOW_RUN_ID", None)
        slow = ["benchmark=toy_slow", "benchmark.options.steps=400", "benchmark.options.step_s=1"]
        # walltime: SLURM's shortest limit (1 min); submitit's USR2 warning 1 s before it is only logged
        self.wall = _sweep(cluster, [*slow, "seed=1", "hydra.launcher.timeout_min=1",
                                     "hydra.launcher.signal_delay_s=1"], root / "wall", env)
        self.cancel = _sweep(cluster, [*slow, "seed=2", "hydra.launcher.timeout_min=5"], root / "cancel", env)
        self.first = self.second = self.job = self.error = None
        self.thread = threading.Thread(target=self._drive, daemon=True)
        self.thread.start()

    def _attempt(self, client, restart: str):
        runs = [r for r in _runs(client, seed="2") if r.data.tags.get("slurm.restart_count") == restart
                and r.info.status == "RUNNING" and r.data.metrics.get("loss") is not None]
        return runs[0] if runs else None

    def _drive(self) -> None:
        try:
            client = _client(self.home)
            self.first = _poll(lambda: self._attempt(client, "0"), 180)
            self.job = self.first.data.tags["slurm.job_id"]
            self.cluster.command("scontrol", "requeue", self.job)  # SIGTERM now, the same job again later
            self.second = _poll(lambda: self._attempt(client, "1"), 180)
            self.cluster.command("scancel", self.job)
        except BaseException as exc:  # reported by done()
            self.error = exc

    def done(self):
        self.thread.join(timeout=300)
        wall_out, cancel_out = _finish(self.wall), _finish(self.cancel)
        if self.error is not None:
            pytest.fail(f"driving the requeue/scancel sweep failed: {self.error!r}\n{cancel_out[-3000:]}")
        return wall_out, cancel_out

    def stop(self) -> None:
        for proc in (self.wall, self.cancel):
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="module")
def stopped_sweeps(slurm_cluster, toys_dir, tmp_path_factory, _store_template, data_root):
    sweeps = StoppedSweeps(slurm_cluster, toys_dir, tmp_path_factory.mktemp("stopped"), _store_template, data_root)
    try:
        yield sweeps
    finally:
        sweeps.stop()


def _poll(fn, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = fn()
        if got:
            return got
        time.sleep(0.5)
    raise TimeoutError(f"nothing after {timeout:.0f} s")


def _sweep(cluster, args: List[str], sweep_dir: Path, env: Dict[str, str] | None = None) -> subprocess.Popen:
    import os

    env = cluster.env({**(os.environ if env is None else env), "SCIML_SLURM_PARTITION": cluster.partition,
                       "SCIML_SLURM_CPUS_PER_TASK": "1", "OMP_NUM_THREADS": "1"})
    return subprocess.Popen([sys.executable, "-m", "sciml_mlflow", "-m", *COMMON, *args,
                             f"hydra.sweep.dir={sweep_dir}"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _finish(proc: subprocess.Popen, timeout: float = 300) -> str:
    out, _ = proc.communicate(timeout=timeout)
    return out


def _client(home: Path):
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=f"sqlite:///{home}/mlflow.db")


def _runs(client, **tags: str):
    flt = " and ".join(f"tags.`{k}` = '{v}'" for k, v in tags.items()) or ""
    exps = [e.experiment_id for e in client.search_experiments()]
    return client.search_runs(exps, filter_string=flt, max_results=1000)


def _final_states(cluster, job_ids: List[str], timeout: float = 60) -> Dict[str, str]:
    """sacct's states once every job is past COMPLETING (the result file is written before the step ends)."""
    deadline = time.monotonic() + timeout
    while True:
        states = cluster.job_states(job_ids)
        if all(states.get(j) not in (None, "RUNNING", "PENDING", "COMPLETING", "REQUEUED") for j in job_ids) \
                or time.monotonic() > deadline:
            return states
        time.sleep(1)


def test_the_cluster_is_idle_and_sized_from_the_machine(slurm_cluster):
    import os

    assert slurm_cluster.node_state() == "idle"
    cpus = len(os.sched_getaffinity(0))
    assert f"CPUTot={cpus}" in slurm_cluster.command("scontrol", "show", "node", slurm_cluster.node)
    assert "127.0.0.1" in slurm_cluster.conf.read_text() and "auth/munge" in slurm_cluster.conf.read_text()


def test_a_sweep_is_one_job_array_of_finished_runs_reported_at_scale(slurm_cluster, stopped_sweeps, toys, tmp_path,
                                                                      capsys):
    # stopped_sweeps: the walltime and requeue sweeps start now and run alongside this test and the next
    # M = 2 concurrent instances (each waits 5 s inside its time-to-target window, so the windows overlap)
    out = _finish(_sweep(slurm_cluster, ["benchmark=toy_sweep", "seed=1,2", "benchmark.options.sleep_s=5",
                                         "hydra.launcher.timeout_min=5"], tmp_path / "sweep"))
    client = toys
    runs = _runs(client)
    parent = [r for r in runs if r.data.tags.get("sweep.role") == "parent"]
    assert len(parent) == 1 and parent[0].info.status == "FINISHED", out[-4000:]
    jobs = sorted((r for r in runs if r.data.tags.get("sweep.role") != "parent"), key=lambda r: int(r.data.tags["sweep.job"]))
    assert [r.info.status for r in jobs] == ["FINISHED"] * 2
    assert all(r.data.tags["mlflow.parentRunId"] == parent[0].info.run_id for r in jobs)
    ids = [r.data.tags["slurm.job_id"] for r in jobs]
    array = {i.split("_")[0] for i in ids}
    assert len(array) == 1 and [i.split("_")[1] for i in ids] == ["0", "1"], ids  # one array, 2 tasks
    assert all(r.data.tags["slurm.partition"] == slurm_cluster.partition for r in jobs)
    assert _final_states(slurm_cluster, ids) == {i: "COMPLETED" for i in ids}
    script = next((tmp_path / "sweep" / ".submitit").glob("*/*_submission.sh")).read_text()
    assert "#SBATCH --array=0-1%2" in script and "--gpus-per-node" not in script  # CPU profile: no gres
    assert "#SBATCH --cpus-per-task=1" in script and f"#SBATCH --partition={slurm_cluster.partition}" in script
    for i in ids:  # the sweep table prints SLURM's job ids
        assert any(line.split()[1:2] == [i] and "FINISHED" in line for line in out.splitlines()), out[-3000:]

    # the 2 instances as MLPerf HPC throughput at scale: T = M x S resources, TTTa over the converged ones
    from sciml_mlflow.cli.main import main as cli

    capsys.readouterr()
    assert cli(["report", "--tracking-uri", client.tracking_uri, "--sweep", parent[0].data.tags["sweep.id"],
                "-o", str(tmp_path / "report"), "--no-plots", "--no-log"]) == 0
    printed = capsys.readouterr().out
    row = next(line for line in printed.splitlines() if line.startswith(f"| {parent[0].data.tags['sweep.id']} |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1:5] == ["toy_sweep", "2", "1", "2"], row  # benchmark, T, S, M
    starts = [int(r.data.tags["time.run_start_ms"]) for r in jobs]
    assert 5.0 <= float(cells[5]) <= (max(r.info.end_time for r in jobs) - min(starts)) / 1000  # TTTa (s)
    assert cells[6:8] == ["2/2", "yes"], row  # both converged, and they ran at the same time


def test_ddp_over_two_srun_tasks_is_one_run_with_rank_aware_metrics(slurm_cluster, stopped_sweeps, toys, tmp_path):
    out = _finish(_sweep(slurm_cluster, ["benchmark=toy_ddp", "seed=3", "distributed.enabled=true",
                                         "hydra.launcher.tasks_per_node=2", "hydra.launcher.timeout_min=5"],
                         tmp_path / "ddp"))
    client = toys
    runs = [r for r in _runs(client) if r.data.tags.get("sweep.role") != "parent"]
    assert len(runs) == 1, out[-4000:]  # rank 1 attached to rank 0's run
    run = runs[0]
    assert run.info.status == "FINISHED", out[-4000:]
    assert run.data.params["world_size"] == "2" and run.data.params["nproc_per_node"] == "2"
    assert run.data.metrics["seen_world_size"] == 2.0
    assert run.data.metrics["val_accuracy"] == pytest.approx(0.5)  # rank 0's science metric; rank 1's dropped
    assert run.data.metrics["mean_rank"] == pytest.approx(0.5)  # all_reduce over ranks 0 and 1 (gloo)
    assert [k for k in run.data.metrics if k.startswith("system/rank_1/")], sorted(run.data.metrics)
    logs = "".join(p.read_text() for p in (tmp_path / "ddp" / ".submitit").glob("*/*_log.out"))
    assert "DDP under srun: rank 1 of 2" in logs and "DDP under srun: rank 0 of 2" in logs
    assert "torch.distributed.run" not in logs  # srun started the ranks, not torch's launcher


def test_walltime_scancel_and_requeue_end_runs_killed_and_requeue_links_a_new_run(slurm_cluster, stopped_sweeps):
    wall_out, cancel_out = stopped_sweeps.done()
    client = _client(stopped_sweeps.home)
    job = stopped_sweeps.job
    first, second = client.get_run(stopped_sweeps.first.info.run_id), client.get_run(stopped_sweeps.second.info.run_id)
    assert first.info.status == "KILLED" and second.info.status == "KILLED", cancel_out[-3000:]
    assert second.data.tags["slurm.requeued_from"] == first.info.run_id  # a new run, linked to the old attempt
    assert second.data.tags["slurm.job_id"] == job and second.data.tags["slurm.restart_count"] == "1"
    for r in (first, second):
        assert r.data.tags["reason"].startswith("SIGTERM")
        assert r.data.metrics["loss"] < 1.0  # metrics up to the signal kept
    timed = [r for r in _runs(client, seed="1") if r.data.tags.get("sweep.role") != "parent"]
    assert len(timed) == 1 and timed[0].info.status == "KILLED", wall_out[-3000:]
    assert timed[0].data.tags["reason"].startswith("SIGTERM") and timed[0].data.metrics["loss"] < 1.0
    parents = [r for r in _runs(client) if r.data.tags.get("sweep.role") == "parent"]
    assert sorted(p.info.status for p in parents) == ["FAILED", "FAILED"]
    states = _final_states(slurm_cluster, [job, timed[0].data.tags["slurm.job_id"]])
    assert states[job] == "CANCELLED" and states[timed[0].data.tags["slurm.job_id"]] == "TIMEOUT", states
    assert f"KILLED  {second.info.run_id[:12]}" in cancel_out  # the table shows the latest attempt
