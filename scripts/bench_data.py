"""Data staging performance: pull throughput vs plain boto3, and the intact-check time of a 1 GB dataset.

Runs entirely on loopback: a moto S3 server on 127.0.0.1 (stopped by pid), a throw-away git+DVC project
laid out like the suite, and a synthetic dataset of one large file.  Prints numbers and ratios.

    python scripts/bench_data.py [--pull-mb 200] [--intact-mb 1024]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the tests' fixture helpers (moto server, toy project) are reused as-is

GEN = '''
import os
from pathlib import Path

def generate(root, scale, seed=0):
    mb = int(os.environ["BENCH_DATA_MB_" + scale.upper()])
    f = Path(root) / "training" / "blob.h5"
    f.parent.mkdir(parents=True, exist_ok=True)
    with open(f, "wb") as fh:
        for _ in range(mb):
            fh.write(os.urandom(1 << 20))
    return [f]
'''


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pull-mb", type=int, default=200)
    ap.add_argument("--intact-mb", type=int, default=1024)
    args = ap.parse_args()
    from tests.data.conftest import DVC_YAML, make_toy_world
    from tests.fixtures.moto_s3 import start_moto, stop_pid

    with tempfile.TemporaryDirectory(prefix="bench-data-") as tmp:
        base = Path(tmp)
        toy, coll = make_toy_world(base)
        (coll / "benchmarks" / "toybench" / "dataset.py").write_text(GEN)
        (toy.origin / "dvc.yaml").write_text(DVC_YAML.replace(
            "toy_sim-tiny: {dataset: toy_sim, scale: tiny}",
            "toy_sim-tiny: {dataset: toy_sim, scale: tiny}\n      toy_sim-small: {dataset: toy_sim, scale: small}"))
        subprocess.run(["git", "commit", "-qam", "stages"], cwd=toy.origin, check=True)
        os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                           "AWS_DEFAULT_REGION": "us-east-1", "DVC_NO_ANALYTICS": "1",
                           "AWS_EC2_METADATA_DISABLED": "true", "SCIML_MLFLOW_BENCHMARKS": str(coll),
                           "BENCH_DATA_MB_TINY": str(args.pull_mb), "BENCH_DATA_MB_SMALL": str(args.intact_mb),
                           "SCIML_DVC_REMOTES": "mirror_a", "DVC_GLOBAL_CONFIG_DIR": str(base / "g"),
                           "DVC_SYSTEM_CONFIG_DIR": str(base / "s"), "DVC_SITE_CACHE_DIR": str(base / "site")})
        proc, url = start_moto(base / "moto.log")
        try:
            from sciml_mlflow.data.project import DvcProject
            from sciml_mlflow.data.staging import prepare
            from sciml_mlflow.data import transfer

            s3 = __import__("boto3").client("s3", endpoint_url=url, region_name="us-east-1")
            s3.create_bucket(Bucket="mirror-a")
            toy.endpoints(toy.origin, mirror_a=url, mirror_b=url)
            os.environ["SCIML_DATA_DIR"] = str(toy.origin / "data")
            staged = prepare("toy_sim", "tiny")
            project = DvcProject(toy.origin)
            transfer.push(project, "data/toy_sim/tiny", project.remotes("mirror_a")[0])
            subprocess.run(["git", "add", "dvc.lock"], cwd=toy.origin, check=True)
            subprocess.run(["git", "commit", "-qm", "record"], cwd=toy.origin, check=True)
            listing = project.listing(project.record("data/toy_sim/tiny"))
            key = "dvc/files/md5/{0}/{1}".format(listing["training/blob.h5"][:2], listing["training/blob.h5"][2:])

            t0 = time.perf_counter()
            s3.download_file("mirror-a", key, str(base / "boto3.bin"))
            t_boto = time.perf_counter() - t0
            clone = toy.clone("clone")
            toy.endpoints(clone, mirror_a=url)
            os.environ["SCIML_DATA_DIR"] = str(clone / "data")
            t0 = time.perf_counter()
            pulled = prepare("toy_sim", "tiny")
            t_fw = time.perf_counter() - t0
            assert pulled.digest == staged.digest and pulled.tags["dataset.remote"] == "mirror_a"
            mb = staged.bytes / 1e6
            print(f"pull {mb:.0f} MB: framework (dvc pull, verify=true, + stat cache seed) {t_fw:.2f} s = "
                  f"{mb / t_fw:.0f} MB/s; boto3 download_file {t_boto:.2f} s = {mb / t_boto:.0f} MB/s; "
                  f"ratio {t_boto / t_fw:.2f}x (target >= 0.8x)")

            os.environ["SCIML_DATA_DIR"] = str(toy.origin / "data")
            prepare("toy_sim", "small")  # generated + recorded + hashed once
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                ok = prepare("toy_sim", "small")
                times.append(time.perf_counter() - t0)
            from sciml_mlflow.data.staging import _cache
            from sciml_mlflow.data.verify import verify_tree

            rec = project.record("data/toy_sim/small")
            t0 = time.perf_counter()
            verify_tree(ok.path, rec.md5, _cache(ok.path), project.listing(rec))
            t_check = time.perf_counter() - t0
            t0 = time.perf_counter()
            verify_tree(ok.path, rec.md5, _cache(ok.path), project.listing(rec), full=True)
            t_full = time.perf_counter() - t0
            print(f"intact {ok.bytes / 1e9:.2f} GB present: prepare() median {sorted(times)[2]:.3f} s "
                  f"(hash check alone {t_check * 1000:.1f} ms; target < 1 s); full re-hash (data verify) {t_full:.2f} s")
        finally:
            stop_pid(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
