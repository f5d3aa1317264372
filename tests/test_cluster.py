"""The cluster path run for real (issue 20): the shipped SLURM profiles against a throw-away one-node
SLURM (``nasrepro.tools.local_slurm``), with only what a site edits passed on the command line. Skipped,
with the reason, where SLURM is not installed; ``.ci/run`` installs it first.

What a site without accounting adds (the shipped files say so): ``--slurm-status-command squeue
--slurm-no-account``. For speed here only: status checks every 2 s instead of 40 (and without the plugin's
back-off, ``snakemake_polling_every_2s.py``), and 4 jobs at a time.
"""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from nasrepro.tools.local_slurm import LocalSlurm, SlurmUnavailable, missing_programs

from test_workflow import REPO, tiny_config

pytestmark = [pytest.mark.cluster, pytest.mark.workflow]
# Snakemake polling SLURM every 2 s, without the plugin's growing back-off (tests/snakemake_polling_every_2s.py)
SNAKEMAKE = [sys.executable, str(Path(__file__).with_name("snakemake_polling_every_2s.py"))]
SITE = ["--slurm-status-command", "squeue", "--slurm-no-account", "--slurm-init-seconds-before-status-checks", "2",
        "--jobs", "4"]
TIMING = ("hours", "published_hours", "delta_hours")
SUBMITTED = re.compile(r"submitted with SLURM jobid (\d+) \(log: .*/slurm_logs/rule_([a-z_]+)/")


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    if missing_programs():
        pytest.skip(f"SLURM is not installed (missing {', '.join(missing_programs())}): "
                    "`python -m nasrepro.tools.local_slurm install` (root) installs it")
    cluster = LocalSlurm(tmp_path_factory.mktemp("slurm"), port=6917)
    try:
        cluster.up()
    except SlurmUnavailable as exc:
        cluster.down()
        pytest.skip(f"local SLURM did not start: {exc}")
    try:
        yield cluster
    finally:
        cluster.down()  # the daemons never outlive the tests, whatever failed


def _env(cluster: LocalSlurm, **extra: str) -> dict:
    # nasrepro (the rules' command) and torchrun come from this interpreter's environment
    return {**os.environ, **cluster.env, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            **extra}


# Snakemake runs every shell job with OMP_NUM_THREADS = the rule's threads (1 here), so torch computes on one
# thread inside the workflow, on SLURM or not; a reference run outside it must do the same to be bit-equal.
AS_A_JOB = {"OMP_NUM_THREADS": "1"}


def _snakemake_cmd(workdir: Path, targets, *extra, profile="slurm") -> list[str]:
    cmd = SNAKEMAKE + [*targets, "-s", str(REPO / "Snakefile"), "--directory", str(workdir),
                       "--configfile", str(workdir / "config" / "config.yaml")]
    cmd += ["--cores", "2"] if profile is None else ["--profile", str(REPO / "profiles" / profile), *SITE]
    return cmd + list(extra)


def snakemake(cluster, workdir: Path, targets, *extra, profile="slurm", timeout=900):
    return subprocess.run(_snakemake_cmd(workdir, targets, *extra, profile=profile), cwd=REPO, env=_env(cluster),
                          capture_output=True, text=True, timeout=timeout)


def _workdir(tmp: Path, name: str, edit=None) -> Path:
    d = tmp / name
    d.mkdir()
    cfg = tiny_config(d)
    if edit is not None:
        raw = yaml.safe_load(cfg.read_text())
        edit(raw["presets"]["demo"])
        cfg.write_text(yaml.safe_dump(raw))
    return d


def _two_methods(presets: dict) -> None:
    # Two of Table 1's searches exercise every job type (uniform alone, mcts-learned after the warm-up);
    # the other rows then say "not run", as in any preset that runs a subset.
    presets["pooling"]["methods"] = ["uniform", "mcts-learned"]
    presets["pooling-ch2"]["methods"] = ["uniform"]  # Table 1's Mixtures row (a pooling-ch2 run) is not run either


@pytest.fixture(scope="module")
def table1_runs(slurm, tmp_path_factory):
    """Table 1's Pooling chain (stand-alone packs, warm-up, searches, table) through sbatch, and locally."""
    tmp = tmp_path_factory.mktemp("table1")
    cluster_dir, local_dir = _workdir(tmp, "cluster", _two_methods), _workdir(tmp, "local", _two_methods)
    t0 = time.perf_counter()
    targets = ["tables/table1.csv", "tables/thesis_table2_1.csv"]  # Table 2.1 adds the stand-alone packs
    # the local reference computes while the cluster run mostly waits on the queue
    local = subprocess.Popen(_snakemake_cmd(local_dir, targets, profile=None), cwd=REPO, env=_env(slurm),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    done = snakemake(slurm, cluster_dir, targets)
    seconds = time.perf_counter() - t0
    local_out, _ = local.communicate(timeout=900)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    assert local.returncode == 0, local_out[-4000:]
    jobs: dict[str, list[int]] = {}
    for job_id, rule in SUBMITTED.findall(done.stdout + done.stderr):
        jobs.setdefault(rule, []).append(int(job_id))
    return {"cluster": cluster_dir, "local": local_dir, "jobs": jobs, "seconds": seconds}


def test_shipped_profile_runs_table1_through_sbatch_with_the_local_results(table1_runs):
    jobs = table1_runs["jobs"]
    assert {"standalone", "warmup", "search", "table"} <= set(jobs), jobs  # every generic job type
    assert len(jobs["search"]) == 2 and len(jobs["standalone"]) == 1
    for table in ("table1", "thesis_table2_1"):
        cluster = pd.read_csv(table1_runs["cluster"] / "tables" / f"{table}.csv")
        local = pd.read_csv(table1_runs["local"] / "tables" / f"{table}.csv")
        drop = [c for c in TIMING if c in cluster.columns]
        pd.testing.assert_frame_equal(cluster.drop(columns=drop), local.drop(columns=drop), check_exact=True)
    assert cluster["trained_acc"].notna().sum() == 2  # Table 2.1: the two architectures the packs retrained
    print(f"cluster Table 1 chain: {table1_runs['seconds']:.0f} s, jobs {jobs}")


def _scontrol(cluster: LocalSlurm, job_id: int) -> dict[str, str]:
    out = subprocess.run(["scontrol", "show", "job", str(job_id)], env=_env(cluster), capture_output=True,
                         text=True, check=True).stdout
    return dict(tok.split("=", 1) for tok in out.split() if "=" in tok)


def test_submitted_jobs_carry_the_profiles_resources(slurm, table1_runs):
    """Partition, GRES, CPUs, memory and time limit of one job per rule, read back from SLURM."""
    profile = yaml.safe_load((REPO / "profiles" / "slurm" / "config.yaml").read_text())
    for rule, ids in sorted(table1_runs["jobs"].items()):
        want = {**profile["default-resources"], **profile.get("set-resources", {}).get(rule, {})}
        job = _scontrol(slurm, ids[0])
        assert job["Partition"] == want["slurm_partition"], rule
        assert int(job["NumCPUs"]) == want["cpus_per_task"], rule
        assert job["MinMemoryNode"] == f"{want['mem_mb']}M", rule
        h, m = divmod(int(want["runtime"]), 60)
        assert job["TimeLimit"] in (f"{h:02d}:{m:02d}:00", f"{h // 24}-{h % 24:02d}:{m:02d}:00"), rule
        assert job.get("TresPerNode", "(null)") == (f"gres:{want['gres']}" if "gres" in want else "(null)"), rule
        print(f"{rule}: job {ids[0]} partition {job['Partition']} cpus {job['NumCPUs']} mem {job['MinMemoryNode']} "
              f"time {job['TimeLimit']} gres {job.get('TresPerNode')}")


def _longer_uniform_search(presets: dict) -> None:
    pool = presets["pooling"]
    # long enough (6 epochs of 10 steps) for the cancel to land between the first checkpoint and the end
    pool.update(train_images=320)
    pool["search"].update(epochs=6, batch_size=32, checkpoint_every=1)


def _summary(path: Path) -> dict:
    s = json.loads(path.read_text())
    return {k: v for k, v in s.items() if "seconds" not in k and k != "device"}


def test_a_cancelled_search_resumes_from_its_checkpoint_to_the_same_result(slurm, tmp_path):
    work = _workdir(tmp_path, "fault", _longer_uniform_search)
    target = "results/demo/pooling/search/uniform/s0/summary.json"
    ckpt = work / "results/demo/pooling/search/uniform/s0/search.ckpt.pt"
    cmd = SNAKEMAKE + [target, "-s", str(REPO / "Snakefile"), "--directory", str(work), "--configfile",
                       str(work / "config/config.yaml"), "--profile", str(REPO / "profiles/slurm"), *SITE]
    first = subprocess.Popen(cmd, cwd=REPO, env=_env(slurm), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True)
    deadline = time.monotonic() + 300
    while not ckpt.exists() and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.2)
    assert ckpt.exists(), "the search wrote no checkpoint before the deadline"
    running = subprocess.run(["squeue", "-h", "-o", "%i"], env=_env(slurm), capture_output=True, text=True).stdout
    subprocess.run(["scancel", *running.split()], env=_env(slurm), check=True)
    out, _ = first.communicate(timeout=300)
    assert first.returncode != 0 and not (work / target).exists(), out[-3000:]
    reference = tmp_path / "reference"  # uninterrupted, computed while the resumed job waits on the queue
    uninterrupted = subprocess.Popen(["nasrepro", "search", "--config-json", str(work / "results/demo/config.json"),
                                      "--space", "pooling", "--method", "uniform", "--seed", "0", "--out-dir",
                                      str(reference)], env=_env(slurm, **AS_A_JOB), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
    second = subprocess.run(cmd, cwd=REPO, env=_env(slurm), capture_output=True, text=True, timeout=900)
    _, reference_err = uninterrupted.communicate(timeout=600)
    assert second.returncode == 0, (second.stdout + second.stderr)[-4000:]
    assert uninterrupted.returncode == 0, reference_err[-3000:]
    log = (work / "logs/demo/pooling/search/uniform_s0.log").read_text()
    resumed = re.search(r"resumed from .* at epoch (\d+)/6", log)
    assert resumed and 1 <= int(resumed.group(1)) < 6, log[-2000:]
    assert _summary(work / target) == _summary(reference / "summary.json")
    print(f"cancelled after the epoch-{resumed.group(1)} checkpoint; resumed run equals the uninterrupted one")


def test_multigpu_profile_launches_torchrun_inside_the_job(slurm, tmp_path):
    """profiles/slurm-multigpu as shipped, with the site's process count (nproc 2, CPU gloo): the job runs
    ``torchrun --nproc_per_node=2`` and its outputs equal the same torchrun launch outside SLURM."""
    work = _workdir(tmp_path, "multigpu")
    target = "results/demo/pooling/search/uniform/s0/summary.json"
    # --set-resources replaces the profile's entry for the rule, so the site passes the shipped one with nproc 2
    shipped = yaml.safe_load((REPO / "profiles/slurm-multigpu/config.yaml").read_text())["set-resources"]["search"]
    site = [f"search:{k}={v}" for k, v in {**shipped, "nproc": 2}.items()]
    done = snakemake(slurm, work, [target], "--set-resources", *site, profile="slurm-multigpu")
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    assert "torchrun --standalone --nproc_per_node=2 -m nasrepro.cli search" in done.stdout + done.stderr
    (job_id, rule), = [m for m in SUBMITTED.findall(done.stdout + done.stderr) if m[1] == "search"]
    assert _scontrol(slurm, int(job_id))["TresPerNode"] == "gres:gpu:4"
    reference = tmp_path / "reference"
    subprocess.run(["torchrun", "--standalone", "--nproc_per_node=2", "-m", "nasrepro.cli", "search", "--config-json",
                    str(work / "results/demo/config.json"), "--space", "pooling", "--method", "uniform", "--seed", "0",
                    "--out-dir", str(reference)], env=_env(slurm, **AS_A_JOB), check=True, capture_output=True,
                   timeout=600)
    assert _summary(work / target) == _summary(reference / "summary.json")
