"""The launching side of a DDP run: stage data once, start torch's elastic launcher, read rank 0's result.

``python -m torch.distributed.run`` is torch's own launcher (what ``torchrun`` runs): it starts one
worker per device, sets RANK/LOCAL_RANK/WORLD_SIZE, restarts the group on failure when asked, and
tears every worker down when one dies.  We run it as a subprocess so a crashing worker never takes the
Hydra job (and the sweep around it) down.  The run itself belongs to rank 0 (worker.py); this side makes
sure it is never left RUNNING, even when the workers are killed before rank 0 could end it.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

from omegaconf import DictConfig, OmegaConf

from sciml_mlflow.errors import DistributedError

log = logging.getLogger(__name__)

JOB_DIR = "ddp"
RESULT_FILE = "result.json"
RUN_ID_FILE = "run_id"


def _stage_once(cfg: DictConfig) -> None:
    """Generate/fetch the dataset before the workers start, so ranks never race to write it."""
    from sciml_mlflow.core import registry
    from sciml_mlflow.data.staging import stage_dataset

    spec = registry.get(cfg.benchmark.name)
    stage_dataset(spec, cfg.benchmark.dataset.name, cfg.benchmark.dataset.scale, cfg.benchmark.dataset.root,
                  bool(cfg.benchmark.dataset.get("accept_unrecorded", False)))


def launcher_command(plan: "object", job_dir: Path) -> list[str]:
    """The ``torch.distributed.run`` command line for ``plan`` (a WorldPlan)."""
    p = plan  # type: ignore[assignment]
    cmd = [sys.executable, "-m", "torch.distributed.run",
           f"--nnodes={p.nnodes}", f"--nproc-per-node={p.nproc_per_node}",  # type: ignore[attr-defined]
           f"--max-restarts={p.max_restarts}", "--rdzv-backend=c10d",  # type: ignore[attr-defined]
           f"--rdzv-endpoint={p.rdzv_endpoint}"]  # type: ignore[attr-defined]
    if p.nnodes == 1:  # type: ignore[attr-defined]
        cmd.append("--standalone")
        cmd = [c for c in cmd if not c.startswith(("--rdzv-backend", "--rdzv-endpoint"))]
    else:
        cmd.append(f"--node-rank={p.node_rank}")  # type: ignore[attr-defined]
    return cmd + ["-m", "sciml_mlflow.distributed.worker", str(job_dir)]


def run_distributed(cfg: DictConfig, output_dir: Optional[Path] = None, overrides: Sequence[str] = (),
                    extra_tags: Optional[Mapping[str, str]] = None) -> "object":
    """Run ``cfg`` with one process per device under torch's elastic launcher; returns rank 0's RunResult."""
    import tempfile

    from sciml_mlflow.run.result import RunResult
    from sciml_mlflow.distributed.plan import plan as make_plan

    from sciml_mlflow.distributed import slurm

    task = slurm.from_env()
    if task is not None:  # srun started one process per rank: this is one of them
        return _run_as_srun_task(cfg, task, output_dir, overrides, extra_tags)
    world = make_plan(cfg)
    out = Path(output_dir) if output_dir else Path(tempfile.mkdtemp(prefix=f"sciml-{cfg.benchmark.name}-ddp-"))
    job_dir = _write_job(out / JOB_DIR, cfg, out, overrides, extra_tags, backend=world.backend,
                         nnodes=world.nnodes, nproc_per_node=world.nproc_per_node)
    _stage_once(cfg)
    cmd = launcher_command(world, job_dir)
    log.info("DDP: %d process(es) x %d node(s), backend %s: %s", world.nproc_per_node, world.nnodes,
             world.backend, " ".join(cmd))
    rc = None
    try:
        rc = subprocess.run(cmd, check=False).returncode
    finally:
        _never_leave_running(cfg, job_dir)
    result_file = job_dir / RESULT_FILE
    if not result_file.is_file():
        if world.node_rank != 0 and rc == 0:  # rank 0 lives on node 0; this node's workers finished fine
            run_id = (job_dir / RUN_ID_FILE).read_text().strip() if (job_dir / RUN_ID_FILE).is_file() else ""
            return RunResult(run_id, "", "FINISHED", cfg.tracking.uri)
        raise DistributedError(
            f"DDP run of {cfg.benchmark.name!r}: torch.distributed.run exited with code {rc} before rank 0 wrote "
            f"{result_file}; see the workers' output above (each rank's traceback is printed by the launcher)")
    res = json.loads(result_file.read_text())
    result = _result(res, cfg)
    if res["status"] != "FINISHED" or rc != 0:
        raise DistributedError(
            f"DDP run {res['run_id']} of {cfg.benchmark.name!r} ended {res['status']} (launcher exit code {rc}): "
            f"{res.get('error') or 'a non-zero rank failed'}; the run's error/traceback.txt artifact has rank 0's "
            "traceback, the console output the others'")
    return result


def _run_as_srun_task(cfg: DictConfig, task: "object", output_dir: Optional[Path], overrides: Sequence[str],
                      extra_tags: Optional[Mapping[str, str]]) -> "object":
    """One rank of an srun step: the worker runs in this process, its identity from SLURM (distributed.slurm)."""
    import os
    import tempfile

    from sciml_mlflow.distributed import worker
    from sciml_mlflow.distributed.plan import plan as make_plan
    from sciml_mlflow.run.result import RunResult

    t = task  # type: ignore[assignment]
    backend = make_plan(cfg).backend
    out = Path(output_dir) if output_dir else Path(tempfile.mkdtemp(prefix=f"sciml-{cfg.benchmark.name}-ddp-"))
    job_dir = _write_job(out / JOB_DIR / f"rank_{t.rank}", cfg, out, overrides, extra_tags,  # type: ignore[attr-defined]  # tasks may share one output dir
                         backend=backend, nnodes=t.nnodes, nproc_per_node=t.local_world_size,  # type: ignore[attr-defined]
                         launcher="srun", slurm_job_id=t.job_id)  # type: ignore[attr-defined]
    if t.rank == 0:  # type: ignore[attr-defined]
        _stage_once(cfg)  # the other ranks wait for rank 0 in the process group's rendezvous
    os.environ.update(t.torch_env())  # type: ignore[attr-defined]
    log.info("DDP under srun: rank %d of %d (local %d, node %d), master %s:%d, backend %s", t.rank,  # type: ignore[attr-defined]
             t.world_size, t.local_rank, t.node_rank, t.master_addr, t.master_port, backend)  # type: ignore[attr-defined]
    try:
        worker.main(job_dir)
    finally:
        if t.rank == 0:  # type: ignore[attr-defined]
            _never_leave_running(cfg, job_dir)
    run_id = (job_dir / RUN_ID_FILE).read_text().strip() if (job_dir / RUN_ID_FILE).is_file() else ""
    if t.rank != 0:  # type: ignore[attr-defined]
        return RunResult(run_id, "", "FINISHED", cfg.tracking.uri)
    res = json.loads((job_dir / RESULT_FILE).read_text())
    if res["status"] != "FINISHED":
        raise DistributedError(f"DDP run {res['run_id']} of {cfg.benchmark.name!r} (srun, rank 0) ended "
                               f"{res['status']}: {res.get('error')}; see its error/traceback.txt artifact")
    return _result(res, cfg)


def _write_job(job_dir: Path, cfg: DictConfig, out: Path, overrides: Sequence[str],
               extra_tags: Optional[Mapping[str, str]], **world: Any) -> Path:
    """The job folder the worker reads (config, job.json with the world's shape), cleared of a previous run's files."""
    job_dir.mkdir(parents=True, exist_ok=True)
    for stale in (RESULT_FILE, RUN_ID_FILE):
        (job_dir / stale).unlink(missing_ok=True)
    OmegaConf.save(cfg, job_dir / "config.yaml", resolve=True)
    (job_dir / "job.json").write_text(json.dumps({
        "output_dir": str(out), "overrides": list(overrides), "extra_tags": dict(extra_tags or {}), **world}))
    return job_dir


def _result(res: Mapping[str, Any], cfg: DictConfig) -> "object":
    """Rank 0's result file as the RunResult the caller gets."""
    from sciml_mlflow.run.result import RunResult

    return RunResult(res["run_id"], res["experiment_id"], res["status"], cfg.tracking.uri,
                     {k: float(v) for k, v in res.get("metrics", {}).items()})


def _never_leave_running(cfg: DictConfig, job_dir: Path) -> None:
    """If rank 0 created the run but died before ending it, end it FAILED here."""
    path = job_dir / RUN_ID_FILE
    if not path.is_file():
        return
    run_id = path.read_text().strip()
    try:
        from mlflow.tracking import MlflowClient

        client = MlflowClient(tracking_uri=cfg.tracking.uri)
        if client.get_run(run_id).info.status == "RUNNING":
            log.error("DDP run %s was left RUNNING by its workers: ending it FAILED", run_id)
            client.set_terminated(run_id, status="FAILED")
    except Exception as exc:
        log.error("could not check the status of DDP run %s: %s", run_id, exc)
