"""The NAS-Bench-201 mixed-operation supernet (DARTS, GAEA-DARTS, ANASOD-DNAS): one-hot weights are the
single-path network, masks remove operations, the shared categorical, sampling, and exact bi-level resume."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nasrepro.nb201_cells import EDGES, NUM_EDGES, OPS
from nasrepro.runtime import make_runtime, seed_everything
from nasrepro.spaces import get_space
from nasrepro.spaces.nb201_mixed import NUM_OPS, MixedOpNB201, mixed_cell
from nasrepro.testing import synthetic_images
from nasrepro.training.bilevel import ArchOptimConfig, BilevelTrainer
from nasrepro.training.optim import OptimConfig

SPACE = get_space("nb201")


def _relaxed(**options) -> MixedOpNB201:
    torch.manual_seed(0)
    return SPACE.build_relaxed(width=0.25, cells_per_stage=1, **options)


def _images(n=8, seed=3):
    x, y = synthetic_images(n, seed)
    return x.float() / 255.0, y


@pytest.mark.parametrize("train", [True, False])
def test_one_hot_weights_compute_exactly_the_single_path_network(train):
    model = _relaxed(parametrisation="simplex").train(train)
    x, _ = _images()
    for arch in [(3, 0, 1, 4, 2, 3), (1, 1, 1, 1, 1, 1), (0, 3, 0, 0, 0, 2), (0, 0, 0, 0, 0, 0)]:
        with torch.no_grad():
            model.alpha.copy_(torch.nn.functional.one_hot(torch.tensor(arch), NUM_OPS).float())
            assert torch.equal(model(x), model.net(x, arch)), arch
            assert torch.equal(model(x, arch), model.net(x, arch))
        assert model.derive() == arch


def _bn_counts(model: MixedOpNB201) -> dict[tuple[int, int, str], int]:
    """Batches each convolution's batch norm has counted, per (cell, edge, op): the witness that an operation
    ran (the edges leaving a node run batched, not through their modules' ``forward``)."""
    return {(c, e, name): int(op.op[2].num_batches_tracked)
            for c, cell in enumerate(model.net.cells) if hasattr(cell, "edges")
            for e, edge in enumerate(cell.edges) for name, op in edge.items() if name.startswith("nor_conv")}


def test_mixed_edge_is_the_weighted_sum_of_its_operations_each_computed_once():
    model = _relaxed()
    with torch.no_grad():
        model.alpha.copy_(torch.randn(NUM_EDGES, NUM_OPS))
    x, _ = _images(4)
    model.train()
    model(x)
    assert set(_bn_counts(model).values()) == {1}  # each convolution once per pass, never once per path
    model.eval()
    with torch.no_grad():
        h = model.net.stem(x)
        w = model.arch_weights()
        got = mixed_cell(model.net.cells[0], h, w, model.keep.tolist())
        # by hand: node 3 of a NB201 cell sums the edges 0->3, 1->3, 2->3 (edges 3, 4, 5)
        cell = model.net.cells[0]
        def edge(e, z):
            return sum(w[e, o] * cell.edges[e][OPS[o]](z) for o in range(1, NUM_OPS))
        n1 = edge(0, h)
        n2 = edge(1, h) + edge(2, n1)
        n3 = edge(3, h) + edge(4, n1) + edge(5, n2)
        torch.testing.assert_close(got, n3, rtol=1e-5, atol=1e-6)


def test_batched_mixed_cell_matches_the_per_edge_sum_in_training():
    """Train mode, with a random mask: output, every gradient and every running statistic agree with the
    per-edge sum of the operations' own modules (float64 rounding)."""
    model = _relaxed().double().train()
    reference = _relaxed().double().train()
    keep = np.random.default_rng(1).random((NUM_EDGES, NUM_OPS)) < 0.6
    keep[:, 1] |= ~keep.any(-1)
    keep[2] = [True, False, False, False, False]  # edge 1->2 keeps only ``none``
    for m in (model, reference):
        m.set_mask(keep)
        with torch.no_grad():
            m.alpha.copy_(torch.randn(NUM_EDGES, NUM_OPS, generator=torch.Generator().manual_seed(4)))
    x, y = _images(6)
    x = x.double()

    def per_edge(cell, z, w, mask):
        nodes = [z]
        for i in range(1, 4):
            total = None
            for e, (src, dst) in enumerate(EDGES):
                for o in range(1, NUM_OPS):
                    if dst == i and mask[e][o]:
                        t = w[e, o] * cell.edges[e][OPS[o]](nodes[src])
                        total = t if total is None else total + t
            nodes.append(torch.zeros_like(z) if total is None else total)
        return nodes[-1]

    import nasrepro.spaces.nb201_mixed as mixed
    out = model(x)
    original = mixed.mixed_cell
    try:
        mixed.mixed_cell = per_edge
        want = reference(x)
    finally:
        mixed.mixed_cell = original
    torch.testing.assert_close(out, want, rtol=1e-12, atol=1e-12)
    for m, o in ((model, out), (reference, want)):
        torch.nn.functional.cross_entropy(o, y).backward()
    for (name, p), q in zip(model.named_parameters(), reference.parameters()):
        assert (p.grad is None) == (q.grad is None), name
        if p.grad is not None:
            torch.testing.assert_close(p.grad, q.grad, rtol=1e-10, atol=1e-12, msg=name)
    for (name, a), b in zip(model.state_dict().items(), reference.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12, msg=name)


def test_a_mask_removes_operations_from_the_weights_the_forward_and_the_derivation():
    model = _relaxed()
    keep = np.ones((NUM_EDGES, NUM_OPS), dtype=bool)
    keep[:, OPS.index("nor_conv_3x3")] = False  # e.g. a HEP-NAS sub-supernet without 3x3 convolutions
    keep[0] = [False, True, False, False, False]  # edge 0 keeps only skip_connect
    with torch.no_grad():
        model.alpha.copy_(torch.randn(NUM_EDGES, NUM_OPS))
        model.alpha[:, OPS.index("nor_conv_3x3")] = 10.0  # would win every edge unmasked
    model.set_mask(keep)
    w = model.arch_weights()
    assert torch.equal(w[~torch.as_tensor(keep)], torch.zeros(int((~keep).sum())))
    torch.testing.assert_close(w.sum(-1), torch.ones(NUM_EDGES))
    arch = model.derive()
    assert arch[0] == OPS.index("skip_connect") and OPS.index("nor_conv_3x3") not in arch
    x, _ = _images(4)
    model.train()
    model(x).sum().backward()
    for (_, e, name), count in _bn_counts(model).items():  # a masked operation is never computed
        assert count == int(keep[e, OPS.index(name)]), (e, name)
    assert all(p.grad is None for c in model.net.cells if hasattr(c, "edges")
               for edge in c.edges for p in edge["nor_conv_3x3"].parameters())
    with pytest.raises(ValueError, match="one kept per edge"):
        model.set_mask(np.zeros((NUM_EDGES, NUM_OPS), dtype=bool))


def test_the_shared_categorical_is_one_distribution_for_every_edge():
    model = _relaxed(categorical="shared")
    assert model.alpha.shape == (1, NUM_OPS)
    x, y = _images(8)
    torch.nn.functional.cross_entropy(model(x), y).backward()
    assert model.alpha.grad.shape == (1, NUM_OPS) and model.alpha.grad.abs().sum() > 0
    w = model.arch_weights()
    assert w.shape == (NUM_EDGES, NUM_OPS) and torch.equal(w, w[:1].expand_as(w))


def test_sampled_cells_follow_the_weights():
    model = _relaxed(categorical="shared", parametrisation="simplex")
    p = torch.tensor([[0.1, 0.2, 0.3, 0.35, 0.05]])
    with torch.no_grad():
        model.alpha.copy_(p)
    rng = np.random.default_rng(0)
    draws = np.array([model.sample(rng) for _ in range(2000)])
    freq = np.bincount(draws.ravel(), minlength=NUM_OPS) / draws.size
    assert np.abs(freq - p.numpy()[0]).max() < 0.02  # 12,000 edge draws: the standard error is below 0.005
    assert [model.sample(np.random.default_rng(5)) for _ in range(2)][0] == model.sample(np.random.default_rng(5))


def _trainer(tmp_path=None, epochs=2, **options):
    runtime = make_runtime("cpu", deterministic=True)
    from nasrepro.data.loader import DeviceLoader

    x, y = synthetic_images(48, 3)
    rng = seed_everything(0)
    model = SPACE.build_relaxed(width=0.125, cells_per_stage=1, **options)
    train = DeviceLoader(x[:24], y[:24], 12, runtime.device, augment=True, seed=0)
    val = DeviceLoader(x[24:], y[24:], 12, runtime.device, augment=False, seed=1)
    update = "exponentiated" if options.get("parametrisation") == "simplex" else "adam"
    return BilevelTrainer(model, OptimConfig(epochs=epochs, batch_size=12, lr=0.025), ArchOptimConfig(update=update, lr=0.1),
                          runtime, train, val, rng, checkpoint=None if tmp_path is None else tmp_path / "ck.pt",
                          log=lambda m: None)


@pytest.mark.parametrize("options", [{}, {"categorical": "shared", "parametrisation": "simplex"}])
def test_bilevel_nb201_resumes_bit_identically(tmp_path, options):
    full = _trainer(**options)
    start = full.model.alpha.detach().clone()
    full.run()
    assert not torch.equal(start, full.model.alpha)
    first = _trainer(tmp_path, **options)
    first.run(stop_after_epoch=1)
    second = _trainer(tmp_path, **options)
    assert second.resume_if_possible()
    second.run()
    for (name, p), q in zip(full.model.state_dict().items(), second.model.state_dict().values()):
        assert torch.equal(p, q), name


def test_anasod_dnas_search_samples_its_cell_and_table_3_scores_it_on_three_datasets(tmp_path):
    import json

    import pandas as pd

    from nasrepro.config import load, resolve
    from nasrepro.jobs import run_search
    from nasrepro.reporting import dnas_tables as dt

    cfg = resolve(load("config/config.yaml", {"preset": "demo"}))
    cfg["nb201-dnas"].update(width=0.125, train_images=96)
    cfg["nb201-dnas"]["search"].update(epochs=2, batch_size=24)
    cfg["nb201-dnas"]["evaluation"].update(val_images=24, rank_archs=6)
    out = tmp_path / "nb201-dnas" / "search" / "anasod-dnas" / "s0"
    summary = run_search(cfg, "nb201-dnas", "anasod-dnas", 0, out, log=lambda m: None)
    weights = np.array(summary["arch_weights"])
    assert summary["final"] == "sample" and weights.shape == (NUM_EDGES, NUM_OPS)
    assert (weights == weights[0]).all() and np.isclose(weights[0].sum(), 1.0)  # one shared categorical
    history = pd.read_csv(out / "history.csv")
    assert list(history["epoch"]) == [1, 2] and history["sampled"].map(SPACE.parse).map(len).eq(NUM_EDGES).all()
    assert len(pd.read_csv(out / "arch_eval.csv")) == 6  # evaluation.rank_archs cells ranked
    assert json.loads((out / "summary.json").read_text())["arch"] == summary["arch"]

    frame = dt.anasod_table3(cfg, [out / "summary.json"]).set_index("method")
    arch = SPACE.parse(summary["arch"])
    from nasrepro.benchmarks import load_ground_truth
    by_hand = {col: 100.0 - load_ground_truth("nb201", dataset=key, metric="test", epochs=200, seed=None).accuracy_of(arch)
               for col, key in dt.TRANSFER.items()}
    for col, err in by_hand.items():
        assert frame.loc["anasod-dnas", col] == pytest.approx(err)
    assert frame.loc["anasod-dnas", "search_epochs"] == 2 and frame.loc["anasod-dnas", "published_cifar10"] == 7.75
    truth = load_ground_truth("nb201", dataset="cifar100", metric="test", epochs=200, seed=None)
    assert frame.loc["optimal", "cifar100"] == pytest.approx(100.0 - max(truth.accuracy))
    assert frame.loc["rsps", "arch"].startswith("quoted") and np.isnan(frame.loc["rsps", "cifar10"])
    assert frame.loc["gaea-darts", "arch"] == "no runs given"

    dt.anasod_fig5(cfg, [out / "history.csv"], tmp_path / "f.pdf", tmp_path / "f.png")
    assert (tmp_path / "f.pdf").stat().st_size > 0 and (tmp_path / "f.png").stat().st_size > 0


def test_second_order_gradient_is_the_exact_unrolled_hypergradient():
    """DARTS's finite-difference second-order gradient against autograd through the virtual weight step."""
    from torch.func import functional_call

    runtime = make_runtime("cpu", deterministic=True)
    from nasrepro.data.loader import DeviceLoader

    x, y = synthetic_images(24, 5)
    torch.manual_seed(0)
    model = SPACE.build_relaxed(width=0.125, cells_per_stage=1).double()
    with torch.no_grad():
        model.alpha.copy_(torch.randn(NUM_EDGES, NUM_OPS, dtype=torch.float64))

    # A smooth network: a ReLU's kinks make the finite difference of gradients jump (no Hessian to match)
    def smooth(module):
        for name, child in module.named_children():
            if isinstance(child, torch.nn.ReLU):
                setattr(module, name, torch.nn.Softplus(beta=5.0))
            else:
                smooth(child)

    smooth(model)
    loader = DeviceLoader(x[:12], y[:12], 12, runtime.device, augment=False, seed=0)
    optim = OptimConfig(epochs=1, batch_size=12, lr=0.05, weight_decay=3e-4)
    t = BilevelTrainer(model, optim, ArchOptimConfig(order=2), runtime, loader, loader, np.random.default_rng(0),
                       log=lambda m: None)
    tx, ty = x[:12].double() / 255.0, y[:12]
    vx, vy = x[12:].double() / 255.0, y[12:]
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    t._unrolled_gradient(vx, vy, tx, ty)
    approx = model.alpha.grad.clone()
    assert all(torch.equal(before[n], p) for n, p in model.named_parameters())  # the weights are restored

    names = [n for n, _ in model.named_parameters() if n != "alpha"]
    alpha = model.alpha.detach().clone().requires_grad_(True)
    w = {n: before[n].clone().requires_grad_(True) for n in names}

    def loss(params, a, xx, yy):
        return torch.nn.functional.cross_entropy(functional_call(model, {**params, "alpha": a}, (xx,)), yy)

    g = torch.autograd.grad(loss(w, alpha, tx, ty), list(w.values()), create_graph=True, allow_unused=True)
    w_prime = {n: w[n] - 0.05 * ((gi if gi is not None else torch.zeros_like(w[n])) + 3e-4 * w[n])
               for n, gi in zip(names, g)}
    exact = torch.autograd.grad(loss(w_prime, alpha, vx, vy), alpha)[0]
    err = (approx - exact).abs().max()
    assert err < 1e-3 * exact.abs().max() * 10  # DARTS's eps = 0.01 / ||grad||: a central difference, O(eps^2)
    t.fd_scale = 1e-3  # ten times smaller a step, a hundred times smaller an error
    t._unrolled_gradient(vx, vy, tx, ty)
    assert (model.alpha.grad - exact).abs().max() < err / 50
    first_order = torch.autograd.grad(loss({n: v.detach() for n, v in w_prime.items()}, alpha, vx, vy), alpha)[0]
    assert (first_order - exact).abs().max() > 10 * err  # the second-order term is not negligible


def test_darts_recipe_cosine_floor_and_gradient_clipping():
    from nasrepro.training.optim import make_optimizer

    cfg = OptimConfig(epochs=4, batch_size=12, lr=0.025, lr_min=0.001)
    opt, sched = make_optimizer(torch.nn.Linear(2, 2), cfg, total_steps=8)
    lrs = []
    for _ in range(8):
        lrs.append(sched.get_last_lr()[0])
        opt.step()
        sched.step()
    lrs.append(sched.get_last_lr()[0])
    assert lrs[0] == pytest.approx(0.025) and lrs[4] == pytest.approx((0.025 + 0.001) / 2) and lrs[8] == pytest.approx(0.001)

    runtime = make_runtime("cpu", deterministic=True)
    from nasrepro.data.loader import DeviceLoader

    x, y = synthetic_images(24, 3)
    model = SPACE.build_relaxed(width=0.125, cells_per_stage=1)
    loader = DeviceLoader(x, y, 12, runtime.device, augment=False, seed=0)
    t = BilevelTrainer(model, OptimConfig(epochs=1, batch_size=12, lr=0.025, grad_clip=1e-3), ArchOptimConfig(),
                       runtime, loader, loader, np.random.default_rng(0), log=lambda m: None)
    import copy

    free = copy.deepcopy(model)
    torch.nn.functional.cross_entropy(free(x[:12].float() / 255.0), y[:12]).backward()
    unclipped = torch.cat([p.grad.flatten() for p in free.weight_parameters() if p.grad is not None]).norm()
    t.weight_step(x[:12].float() / 255.0, y[:12])
    norm = torch.cat([p.grad.flatten() for p in model.weight_parameters() if p.grad is not None]).norm()
    assert float(unclipped) > 0.1 and float(norm) == pytest.approx(1e-3, rel=1e-3)  # the step used the clipped one


def test_gradient_clipping_is_refused_where_it_would_not_apply(tmp_path):
    from nasrepro.config import load, resolve
    from nasrepro.errors import ConfigError
    from nasrepro.jobs import run_search

    cfg = resolve(load("config/config.yaml", {"preset": "demo"}))
    cfg["nb201-dnas"]["search"]["grad_clip"] = 5.0
    with pytest.raises(ConfigError, match="grad_clip clips bi-level"):
        run_search(cfg, "nb201-dnas", "uniform", 0, tmp_path, log=lambda m: None)
