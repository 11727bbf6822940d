"""A DDP rank's identity from SLURM's environment (srun tasks), and when torchrun's identity wins instead."""

from __future__ import annotations

import shutil

import pytest

from sciml_mlflow.distributed.slurm import from_env, hostnames

STEP = {"SLURM_JOB_ID": "4242", "SLURM_STEP_ID": "0", "SLURM_PROCID": "3", "SLURM_LOCALID": "1",
        "SLURM_NTASKS": "4", "SLURM_STEP_NUM_TASKS": "4", "SLURM_NNODES": "2", "SLURM_STEP_NUM_NODES": "2",
        "SLURM_NODEID": "1", "SLURM_STEP_TASKS_PER_NODE": "2(x2)", "SLURM_JOB_NODELIST": "gpu[07-08]"}


def test_an_srun_task_is_a_rank_with_the_first_node_as_master():
    r = from_env({**STEP, "MASTER_ADDR": "10.0.0.7"})
    assert (r.rank, r.local_rank, r.world_size, r.local_world_size, r.node_rank, r.nnodes) == (3, 1, 4, 2, 1, 2)
    env = r.torch_env()
    assert env["RANK"] == "3" and env["LOCAL_RANK"] == "1" and env["WORLD_SIZE"] == "4"
    assert env["MASTER_ADDR"] == "10.0.0.7" and 20000 <= int(env["MASTER_PORT"]) < 40000
    again = from_env({**STEP, "MASTER_ADDR": "10.0.0.7", "SLURM_PROCID": "0", "SLURM_LOCALID": "0", "SLURM_NODEID": "0"})
    assert again.master_port == r.master_port  # every rank derives the same port from the job and step ids


def test_not_a_rank_outside_a_multi_task_step_or_under_torchrun():
    assert from_env({}) is None
    assert from_env({k: v for k, v in STEP.items() if k != "SLURM_STEP_ID"}) is None  # the batch script itself
    assert from_env({**STEP, "SLURM_NTASKS": "1", "SLURM_STEP_NUM_TASKS": "1"}) is None  # torchrun spreads it
    assert from_env({**STEP, "TORCHELASTIC_RUN_ID": "x"}) is None  # torchrun's RANK wins


def test_compressed_nodelists_expand_in_order(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)  # the plain parser (no scontrol on PATH)
    assert hostnames("gpu[07-09],login1") == ["gpu07", "gpu08", "gpu09", "login1"]
    assert hostnames("n[1,3-4]") == ["n1", "n3", "n4"]


def test_slurm_job_tags_name_the_array_task():
    from sciml_mlflow.sweep.job import slurm_tags

    assert slurm_tags({}) == {}
    tags = slurm_tags({"SLURM_JOB_ID": "17", "SLURM_ARRAY_JOB_ID": "15", "SLURM_ARRAY_TASK_ID": "2",
                       "SLURM_RESTART_COUNT": "1", "SLURM_JOB_PARTITION": "gpu", "SLURM_JOB_NODELIST": "gpu07"})
    assert tags == {"slurm.job_id": "15_2", "slurm.restart_count": "1", "slurm.partition": "gpu",
                    "slurm.nodelist": "gpu07"}


@pytest.mark.parametrize("accelerator,count,expected", [("cuda", 4, 4), ("cpu", 1, None), ("cuda", 0, None)])
def test_slurm_asks_for_gpus_only_on_cuda_profiles(accelerator, count, expected):
    from sciml_mlflow.config.resolvers import gpus_per_node

    assert gpus_per_node(accelerator, count) == expected
