"""HEP-NAS (seed 002): min-cut optimal by brute force, hierarchy splits of 2, 4 and 8 sub-supernets on NB201,
inherited weights, SMD against a hand-computed KL, gradient matching, and an exact resume of the stage loop."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from nasrepro.errors import ConfigError
from nasrepro.nb201_cells import EDGES, NUM_EDGES
from nasrepro.runtime import make_runtime, seed_everything
from nasrepro.spaces import get_space
from nasrepro.spaces.nb201_mixed import NUM_OPS
from nasrepro.spaces.partition import hierarchies, hierarchy_masks, min_cut_bipartition, split_order
from nasrepro.testing import synthetic_images
from nasrepro.training.bilevel import ArchOptimConfig, BilevelTrainer
from nasrepro.training.distillation import distillation, smd_loss
from nasrepro.training.gradient_matching import gradient_similarity
from nasrepro.training.hepnas import HepNasConfig, HepNasRun, TeacherLogits
from nasrepro.training.optim import OptimConfig


def test_min_cut_is_the_best_bipartition_by_brute_force():
    rng = np.random.default_rng(0)
    for n in (2, 3, 4, 5):
        for _ in range(20):
            a = rng.uniform(-1, 1, (n, n))
            sim = (a + a.T) / 2
            ops = list(rng.permutation(10)[:n])
            g1, g2 = min_cut_bipartition(sim, ops)
            assert g1 and g2 and sorted(g1 + g2) == sorted(ops)
            pos = {o: i for i, o in enumerate(ops)}
            cut = sum(sim[pos[i], pos[j]] for i in g1 for j in g2)
            brute = min(sum(sim[i, j] for i in range(n) for j in range(n) if side[i] and not side[j])
                        for side in itertools.product([0, 1], repeat=n) if 0 < sum(side) < n)
            assert cut == pytest.approx(brute)
    assert min_cut_bipartition(np.ones((1, 1)), [3]) == ((3,),)


def test_nb201_hierarchies_split_into_2_4_and_8_sub_supernets():
    units = hierarchies(EDGES)
    assert units == [[0], [1, 2], [3, 4, 5]]
    keep = np.ones((NUM_EDGES, NUM_OPS), dtype=bool)
    groups = {e: ((0, 1), (2, 3, 4)) for e in range(NUM_EDGES)}
    counts = []
    for unit in units:
        masks = hierarchy_masks(keep, {e: groups[e] for e in unit})
        counts.append(len(masks))
        for m in masks:  # each edge of the hierarchy keeps exactly one of its groups; the others keep all
            for e in range(NUM_EDGES):
                kept = tuple(np.flatnonzero(m[e]))
                assert kept in groups[e] if e in unit else kept == tuple(range(NUM_OPS))
        assert len({m.tobytes() for m in masks}) == len(masks)
    assert counts == [2, 4, 8]
    assert split_order(3, "reverse") == [2, 1, 0] and sorted(split_order(3, "random", np.random.default_rng(1))) == [0, 1, 2]


def test_smd_is_cross_entropy_plus_the_hand_computed_kl():
    s = torch.tensor([[1.0, 0.0, -1.0], [0.5, 0.5, 0.0]])
    t = torch.tensor([[0.0, 1.0, 0.0], [2.0, 0.0, 0.0]])
    u = torch.tensor([[0.3, 0.2, 0.1], [0.0, 0.0, 1.0]])
    y = torch.tensor([0, 2])

    def p(z):
        e = np.exp(z.numpy() - z.numpy().max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)

    def kl(a, b):  # KL(a || b) averaged over the batch
        return float(np.mean((a * np.log(a / b)).sum(1)))

    ce = float(np.mean(-np.log(p(s)[np.arange(2), y.numpy()])))
    assert float(distillation(s, t)) == pytest.approx(kl(p(t), p(s)), rel=1e-6)  # the code: KL(teacher || student)
    assert float(distillation(s, t, "student-teacher")) == pytest.approx(kl(p(s), p(t)), rel=1e-6)  # the print
    full = smd_loss(s, y, t, [u, t])
    assert float(full) == pytest.approx(ce + kl(p(t), p(s)) + (kl(p(u), p(s)) + kl(p(t), p(s))) / 2, rel=1e-6)
    assert float(smd_loss(s, y, None, [])) == pytest.approx(ce, rel=1e-6)


def _trainer(epochs: int, seed: int = 0) -> BilevelTrainer:
    runtime = make_runtime("cpu", deterministic=True)
    from nasrepro.data.loader import DeviceLoader

    x, y = synthetic_images(48, 3)
    rng = seed_everything(seed)
    model = get_space("nb201").build_relaxed(width=0.125, cells_per_stage=1)
    train = DeviceLoader(x[:24], y[:24], 12, runtime.device, augment=True, seed=0)
    val = DeviceLoader(x[24:], y[24:], 12, runtime.device, augment=False, seed=1)
    return BilevelTrainer(model, OptimConfig(epochs=epochs, batch_size=12, lr=0.025), ArchOptimConfig(lr=3e-4),
                          runtime, train, val, rng, log=lambda m: None)


def test_a_sub_supernet_inherits_weights_alpha_and_optimiser_state():
    parent = _trainer(2)
    parent.train_epoch(0)
    mask = np.ones((NUM_EDGES, NUM_OPS), dtype=bool)
    mask[0, 3:] = False
    child = parent.spawn(mask)
    for (name, p), q in zip(parent.model.state_dict().items(), child.model.state_dict().values()):
        assert torch.equal(p, q) or name == "keep", name
    assert child.model.keep[0].tolist() == [True, True, True, False, False] and bool(parent.model.keep.all())
    for a, b in zip(parent.opt.state_dict()["state"].values(), child.opt.state_dict()["state"].values()):
        assert torch.equal(a["momentum_buffer"], b["momentum_buffer"])
    assert child.sched.state_dict() == parent.sched.state_dict()
    assert child.val.state_dict() == parent.val.state_dict() and child.model is not parent.model


def test_gradient_matching_is_a_cosine_matrix_over_the_kept_operations():
    t = _trainer(1)
    x, y = synthetic_images(8, 4)
    batches = [(x.float() / 255.0, y)]
    ops, sim = gradient_similarity(t.model, 2, batches)
    assert ops == [0, 1, 2, 3, 4] and np.allclose(np.diag(sim), 1.0) and np.allclose(sim, sim.T)
    assert np.all(np.abs(sim) <= 1 + 1e-5) and bool(t.model.keep.all())  # the mask is restored
    # by hand for ops 1 and 3: the gradients over every weight outside edge 2's own operations
    own = {id(p) for cell in t.model.net.cells if hasattr(cell, "edges") for p in cell.edges[2].parameters()}
    shared = [p for p in t.model.weight_parameters() if id(p) not in own]

    def grad(op):
        keep = torch.ones_like(t.model.keep)
        keep[2] = False
        keep[2, op] = True
        t.model.keep.copy_(keep)
        loss = torch.nn.functional.cross_entropy(t.model(batches[0][0]), batches[0][1])
        g = torch.autograd.grad(loss, shared, allow_unused=True)
        t.model.keep.fill_(True)
        return torch.cat([(z if z is not None else torch.zeros_like(p)).flatten() for z, p in zip(g, shared)])

    g1, g3 = grad(1), grad(3)
    assert sim[1, 3] == pytest.approx(float(torch.nn.functional.cosine_similarity(g1, g3, dim=0)), abs=1e-5)


def _hep(tmp_path=None):
    base = _trainer(HepNasConfig.from_dict({"split_epochs": [1, 2, 3], "warm_epochs": [1, 1, 1]}).total_epochs)
    cfg = HepNasConfig.from_dict({"split_epochs": [1, 2, 3], "warm_epochs": [1, 1, 1], "alpha_fixed_epochs": 1,
                                  "gm_batches": 2})
    x, y = synthetic_images(24, 9)
    return HepNasRun(base, EDGES, cfg, x.float() / 255.0, y, 12, np.random.default_rng(0),
                     checkpoint=None if tmp_path is None else tmp_path / "hep.pt", log=lambda m: None)


def test_hepnas_shrinks_the_space_stage_by_stage_and_resumes_exactly(tmp_path):
    full = _hep()
    final = full.run()
    assert [r["sub_supernets"] for r in full.records] == [2, 4, 8]
    spaces = [r["remaining_space"] for r in full.records]
    assert spaces[0] < 5 ** 6 and spaces == sorted(spaces, reverse=True)
    keep = final.model.keep.numpy()
    assert int(np.prod(keep.sum(1))) == spaces[-1] and all(keep[e, final.model.derive()[e]] for e in range(NUM_EDGES))
    # killed after stage 2's distillation epoch: four sub-supernets, their teacher and the stage records resume
    first = _hep(tmp_path)
    first.run(stop_after_lineage_epoch=4)
    assert len(first.trainers) == 4 and first.teacher is not None
    second = _hep(tmp_path)
    assert second.resume_if_possible()
    again = second.run()
    for (name, p), q in zip(final.model.state_dict().items(), again.model.state_dict().values()):
        assert torch.equal(p, q), name
    assert second.records == full.records


def test_teachers_logits_are_made_once_per_batch_and_state_and_the_run_is_unchanged(monkeypatch):
    """Distillation D with 2 and then 4 sub-supernets, 2 batches per epoch, 1 and then 2 distillation rounds: the
    run with shared teacher logits ends bit-equal to one where every student recomputes every teacher's
    logits, with 2 forwards per sibling, batch and round where the students made n - 1 (and the previous
    optimum's once per batch, not once per student)."""
    split = {"split_epochs": [1, 2], "warm_epochs": [1, 2], "alpha_fixed_epochs": 1, "gm_batches": 1}
    original, made = TeacherLogits.logits, []

    def counted(self, who, model, step, images):
        before = self.forwards
        out = original(self, who, model, step, images)
        made.append(self.forwards - before)
        return out

    def recompute(self, who, model, step, images):  # what each student did before: its own forward
        self.slots.clear()
        return original(self, who, model, step, images)

    monkeypatch.setattr(TeacherLogits, "logits", counted)
    hep, shared = _hep_run(split)
    monkeypatch.setattr(TeacherLogits, "logits", recompute)
    reference_hep, reference = _hep_run(split)
    for (name, p), q in zip(shared.model.state_dict().items(), reference.model.state_dict().values()):
        assert torch.equal(p, q), name
    assert hep.records == reference_hep.records
    # reads: per stage, n students x (n - 1 siblings + the previous optimum) x 2 batches x its rounds
    assert len(made) == sum(n * n * 2 * rounds for n, rounds in ((2, 1), (4, 2)))
    # 6 + 28 forwards instead of 8 + 64
    assert sum(made) == sum((2 * n - 2 + 1) * 2 * rounds for n, rounds in ((2, 1), (4, 2)))


def _hep_run(split: dict) -> tuple[HepNasRun, BilevelTrainer]:
    cfg = HepNasConfig.from_dict(split)
    x, y = synthetic_images(24, 9)
    hep = HepNasRun(_trainer(cfg.total_epochs), EDGES, cfg, x.float() / 255.0, y, 12, np.random.default_rng(0),
                    log=lambda m: None)
    return hep, hep.run()


def test_bad_hepnas_options_are_named():
    with pytest.raises(ConfigError, match="warm_epochs"):
        HepNasConfig.from_dict({"split_epochs": [10, 20], "warm_epochs": [10]})
    with pytest.raises(ConfigError, match="distill"):
        HepNasConfig.from_dict({"split_epochs": [10], "warm_epochs": [10], "distill": "E"})
    with pytest.raises(ConfigError, match="only 3"):
        _hep_cfg = HepNasConfig.from_dict({"split_epochs": [1, 2, 3, 4], "warm_epochs": [1, 1, 1, 1]})
        from nasrepro.training.hepnas import split_units
        split_units(EDGES, _hep_cfg, np.random.default_rng(0))


def test_a_hepnas_search_reports_its_stages_and_table_4_scores_the_cell(tmp_path):
    from nasrepro.benchmarks import load_ground_truth
    from nasrepro.config import load, resolve
    from nasrepro.jobs import run_search
    from nasrepro.reporting import dnas_tables as dt

    cfg = resolve(load("config/config.yaml", {"preset": "demo"}))
    cfg["nb201-hepnas"].update(width=0.125, train_images=64)
    cfg["nb201-hepnas"]["search"].update(batch_size=24)
    cfg["nb201-hepnas"]["evaluation"].update(val_images=24, rank_archs=4)
    out = tmp_path / "nb201-hepnas" / "search" / "hepnas" / "s0"
    summary = run_search(cfg, "nb201-hepnas", "hepnas", 0, out, log=lambda m: None)
    assert [st["sub_supernets"] for st in summary["hepnas_stages"]] == [2, 4, 8]
    assert summary["search_epochs"] == 3 + 3  # the demo's split epochs plus one distillation epoch per stage
    arch = get_space("nb201").parse(summary["arch"])
    frame = dt.hepnas_table4(cfg, [out / "summary.json"]).set_index("method")
    truth = load_ground_truth("nb201", dataset="cifar100", metric="test", epochs=200, seed=None)
    assert frame.loc["hepnas", "c100_test"] == pytest.approx(truth.accuracy_of(arch))  # transferred: no C100 search
    assert "full NB201 file" in frame.loc["hepnas", "note"] and frame.loc["hepnas", "published_c10_test"] == 93.86
    assert frame.loc["optimal", "in16_test"] == pytest.approx(max(load_ground_truth(
        "nb201", dataset="ImageNet16-120", metric="test", epochs=200, seed=None).accuracy))
    dt.hepnas_fig3(cfg, [out / "summary.json"], tmp_path / "f.pdf", tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 0


def test_few_shot_splits_one_edge_into_a_sub_supernet_per_operation():
    base = _trainer(2)
    cfg = HepNasConfig.from_dict({"split_epochs": [1], "warm_epochs": [1], "distill": "A", "partition": "edge",
                                  "groups": "each"})
    x, y = synthetic_images(24, 9)
    run = HepNasRun(base, EDGES, cfg, x.float() / 255.0, y, 12, np.random.default_rng(0), log=lambda m: None)
    final = run.run()
    [stage] = run.records
    assert stage["edges"] == [0] and stage["sub_supernets"] == NUM_OPS and stage["remaining_space"] == NUM_OPS ** 5
    assert stage["groups"] == {"0": [[o] for o in range(NUM_OPS)]} and int(final.model.keep[0].sum()) == 1
