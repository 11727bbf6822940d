"""One rank of the 2-process gloo check in ``test_sharding.py``: ``python -m tests.training.shard_worker
<rank> <port> <out.json>``.  Trains a linear model through ``training.fit`` on a sharded TrainSet and writes
the items it visited per epoch, its batch counts and its final weights."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path


def main(rank: int, port: int, out: Path) -> None:
    import torch
    import torch.distributed as dist

    from sciml_mlflow.core.context import RunContext
    from sciml_mlflow.errors import DistributedError
    from sciml_mlflow.training import StepResult, TrainSet, fit
    from tests.metric_sink import RecordingSink

    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
    torch.manual_seed(0)  # the same initial weights on both ranks (DDP also broadcasts rank 0's)
    x = torch.randn(11, 3, generator=torch.Generator().manual_seed(1))
    y = x @ torch.tensor([1.0, -2.0, 0.5])
    seen: dict = {}
    epoch = [0]

    def batches(order):
        epoch[0] += 1
        seen[epoch[0]] = [int(i) for i in order]
        return [(x[order[s : s + 2]], y[order[s : s + 2]]) for s in range(0, len(order), 2)]

    def step(model, batch):
        xb, yb = batch
        return StepResult(torch.nn.functional.mse_loss(model(xb)[:, 0], yb), len(xb))

    tmp = Path(tempfile.mkdtemp())
    ctx = RunContext.for_tests(tmp, tmp, RecordingSink(), epochs=2, batch_size=2, learning_rate=0.1, optimizer="sgd",
                               seed=7)
    net = torch.nn.Linear(3, 1)
    res = fit(ctx, net, TrainSet(len(x), batches, 2), step)
    try:
        fit(ctx, torch.nn.Linear(3, 1), lambda e: [(x, y)], step)
        refused = ""
    except DistributedError as exc:
        refused = str(exc)
    out.write_text(json.dumps({"seen": seen, "samples_seen": res.samples_seen, "refused": refused,
                               "weights": [float(v) for v in net.weight.detach().flatten()]}))
    dist.destroy_process_group()


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]))
