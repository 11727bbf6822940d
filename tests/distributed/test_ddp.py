"""DDP through torch's elastic launcher: 2 CPU processes (gloo), one MLflow run owned by rank 0."""

from __future__ import annotations

import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.slow


def test_two_gloo_processes_make_one_run_with_rank1_system_metrics(toy_collection, tmp_path, sciml_home):
    proc = run_cli(["benchmark=toy_ddp", "hardware=cpu", "hardware.device_count=2", "progress=false",
                    f"hydra.run.dir={tmp_path / 'run'}"], timeout=400)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{sciml_home}/mlflow.db")
    exp = client.get_experiment_by_name("toy_ddp")
    runs = client.search_runs([exp.experiment_id])
    assert len(runs) == 1  # rank 1 attached to rank 0's run instead of making its own
    run = runs[0]
    assert run.info.status == "FINISHED"
    assert run.data.params["world_size"] == "2"
    assert run.data.params["global_batch_size"] == "16"  # 8 per device x 2
    assert run.data.metrics["seen_world_size"] == 2.0
    assert run.data.metrics["val_accuracy"] == pytest.approx(0.5)  # rank 0's; rank 1 logged 0.6 (dropped)
    assert run.data.metrics["mean_rank"] == pytest.approx(0.5)  # all_reduce_mean over ranks 0 and 1
    rank1 = [k for k in run.data.metrics if k.startswith("system/rank_1/")]
    assert rank1, sorted(run.data.metrics)
    assert run.data.tags.get("telemetry.rank", "0") == "0"  # rank 1 did not overwrite rank 0's tags


def test_plan_follows_the_hardware_profile(compose_cfg):
    from sciml_mlflow.distributed import plan, wanted

    assert not wanted(compose_cfg("hardware=cpu"))
    cfg = compose_cfg("hardware=cpu", "hardware.device_count=3")
    assert wanted(cfg)
    p = plan(cfg)
    assert (p.nnodes, p.nproc_per_node, p.world_size, p.backend) == (1, 3, 3, "gloo")
    assert not wanted(compose_cfg("hardware=cpu", "hardware.device_count=3", "mode=inference"))
    assert wanted(compose_cfg("hardware=cpu", "distributed.enabled=true"))
    multi = compose_cfg("hardware=cpu", "hardware.nodes=2", "distributed.rdzv_endpoint=node0:29400")
    p = plan(multi, env={"NODE_RANK": "1"})
    assert (p.world_size, p.node_rank, p.rdzv_endpoint) == (2, 1, "node0:29400")


def test_multi_node_without_rendezvous_fails_clearly(compose_cfg):
    from sciml_mlflow.distributed import plan
    from sciml_mlflow.errors import ConfigError

    with pytest.raises(ConfigError, match="rdzv_endpoint"):
        plan(compose_cfg("hardware=cpu", "hardware.nodes=2"), env={})
