import json

import pytest

from nasrepro.cli import main


def run_json(capsys, *argv):
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_help_lists_the_commands_rules_call(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for cmd in ("arch", "resolve-config", "train-standalone", "warmup", "search", "table", "figure"):
        assert cmd in text


def test_arch_pooling(capsys):
    info = run_json(capsys, "arch", "pooling", "[4,3,3]", "--json")
    assert (info["index"], info["params"], info["gt_accuracy"], info["gt_rank"]) == (24, 272474, 90.52, 15)


def test_arch_nb_macro_matches_benchmark_record(capsys):
    info = run_json(capsys, "arch", "nb-macro", "22212220", "--json")
    assert info["gt_rank"] == 1
    from nasrepro.benchmarks.nb_macro import load_records

    rec = load_records()["22212220"]
    assert (info["params"], info["macs"]) == (rec["params"], rec["flops"])


def test_arch_nb201_reports_three_datasets(capsys):
    info = run_json(capsys, "arch", "nb201", "0", "--json")
    assert info["index"] == 0
    assert {"gt_cifar10", "gt_cifar100", "gt_ImageNet16-120"} <= set(info)


def test_bad_architecture_is_one_line_and_exit_2(capsys):
    assert main(["arch", "pooling", "99"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "1..36" in err[0]


def test_resolve_config_tags_preset_and_hash(capsys):
    cfg = run_json(capsys, "resolve-config", "--set", "preset=paper")
    assert cfg["preset"] == "paper" and len(cfg["config_hash"]) == 12


def test_arch_mobilenet_imagenet_counts_at_224_without_ground_truth(capsys):
    arch = ",".join(["MB6_K3"] * 21)
    info = run_json(capsys, "arch", "mobilenet-imagenet", arch, "--json")
    assert info["params"] == 4_708_840 and round(info["macs"] / 1e6, 1) == 539.9
    assert info["gt_accuracy"] is None and info["budget_window"] == {"280M": False, "330M": False}


def test_prototype_diversity_reads_warmup_outputs(capsys, tmp_path):
    """The README's table command, on a warm-up-style outputs.npz of 3 tight, far-apart groups (K = 3)."""
    import numpy as np

    rng = np.random.default_rng(0)
    groups = np.eye(3)[rng.integers(0, 3, 300)]
    np.savez(tmp_path / "outputs.npz", outputs=(groups + 0.01 * rng.standard_normal((300, 3)))[:, None, :])
    rows = run_json(capsys, "prototype-diversity", "--features", str(tmp_path / "outputs.npz"), "--prototypes", "3",
                    "--updates", "400", "--every", "400", "--json")
    assert [(r["assignment"], r["updates"] >= 400 or r["updates"] == 0) for r in rows] == [
        ("nearest", True), ("nearest", True), ("printed", True), ("printed", True)]
    start = rows[0]["diversity"]
    assert abs(start - 1.0) < 0.05  # K-Means finds the 3 orthogonal groups: cosine distance 1 between them
    assert rows[1]["diversity"] > 0.95 * start and rows[3]["diversity"] < rows[1]["diversity"]


def test_local_slurm_config_and_the_message_without_slurm(tmp_path, monkeypatch):
    """nasrepro.tools.local_slurm without daemons: the one-node config it writes, and the fix it names
    when SLURM is missing (the cluster tests themselves are in test_cluster.py)."""
    from nasrepro.tools import local_slurm

    cluster = local_slurm.LocalSlurm(tmp_path / "s", cpus=8, mem_mb=9000, gpus=2, port=7000)
    cluster.write_config()
    conf = dict(line.split("=", 1) for line in cluster.conf.read_text().splitlines() if "=" in line and " " not in line)
    assert conf["AccountingStorageType"] == "accounting_storage/none" and conf["SlurmctldPort"] == "7000"
    assert "CPUs=8 RealMemory=9000 Gres=gpu:2" in cluster.conf.read_text()
    assert (tmp_path / "s" / "gres.conf").read_text().count("Name=gpu File=/dev/") == 2
    assert cluster.env == {"SLURM_CONF": str(cluster.conf)}
    monkeypatch.setenv("PATH", str(tmp_path))  # no SLURM programs on it
    with pytest.raises(local_slurm.SlurmUnavailable, match="local_slurm install"):
        cluster.up()
    assert local_slurm.main(["up", "--dir", str(tmp_path / "t")]) == 2
