"""The DARTS space (Liu et al. 2019; HEP-NAS appendix): a one-hot masked relaxation is the genotype's path,
masked operations are not run, DARTS's derivation, the genotype text and the space's size, the DARTS-V2
evaluation network's published parameter count, and drop-path. Tiny networks only (C 4, 2-3 cells, 8x8)."""

from __future__ import annotations

import copy
import functools
import itertools
import math

import numpy as np
import pytest
import torch

from nasrepro.errors import ConfigError
from nasrepro.spaces import get_space
from nasrepro.spaces.darts import (CELL_SIZE, EDGES, NUM_EDGES, NUM_OPS, OPS, PER_CELL, MixedOpDarts, arch_from_index,
                                   check_arch, derive_genotype, edge_index, node_size)
from nasrepro.spaces.darts_eval import DARTS_V2, DartsNetwork, EvalCell, count_parameters, drop_path
from nasrepro.spaces.batched import batch_norm
from nasrepro.training.task import task_loss

SPACE = get_space("darts")


def _relaxed(layers: int = 3, **options) -> MixedOpDarts:
    torch.manual_seed(0)
    return SPACE.build_relaxed(10, 0.25, layers=layers, **options)  # C = 4


def _x(n: int = 2, size: int = 8, dtype=torch.float32) -> torch.Tensor:
    return torch.randn(n, 3, size, size, generator=torch.Generator().manual_seed(1), dtype=dtype)


def _genotype_mask(arch) -> np.ndarray:
    """Keep each genotype edge's op only, and only ``none`` on the other edges: every node sums its 2 edges."""
    keep = np.zeros((2, NUM_EDGES, NUM_OPS), dtype=bool)
    keep[:, :, 0] = True
    for k in range(2):
        for j in range(4):
            a, oa, b, ob = arch[k * PER_CELL + 4 * j: k * PER_CELL + 4 * j + 4]
            for src, op in ((a, oa), (b, ob)):
                keep[k, edge_index(src, j)] = False
                keep[k, edge_index(src, j), op] = True
    return keep


@pytest.mark.parametrize("train", [False, True])
def test_one_hot_masked_relaxation_is_exactly_the_genotypes_path(train):
    model = _relaxed().double().train(train)
    x = _x(dtype=torch.float64)
    for arch in [DARTS_V2, *SPACE.sample(np.random.default_rng(0), 2)]:
        model.set_mask(_genotype_mask(arch))
        with torch.no_grad():
            model.alpha.normal_()  # one kept op per edge: its softmax weight is exactly 1 whatever alpha is
            assert torch.equal(model.arch_weights().max(-1).values, torch.ones(2, NUM_EDGES, dtype=torch.float64))
            assert torch.equal(model(x), model(x, arch)), SPACE.format(arch)
        assert model.derive() == arch


def _runs(model: MixedOpDarts) -> dict[tuple[int, int, str], tuple[int, bool]]:
    """Per (cell, edge, op): how often its batch norm counted a batch, and whether its weights got a gradient
    (ops without a batch norm, the stride-1 skip, are left out: they compute nothing)."""
    out = {}
    for c, cell in enumerate(model.net.cells):
        for e, edge in enumerate(cell.edges):
            for name, op in edge.items():
                bns = [m for m in op.modules() if isinstance(m, torch.nn.BatchNorm2d)]
                if bns:
                    grads = [p.grad is not None for p in op.parameters()]
                    out[c, e, name] = (int(bns[-1].num_batches_tracked), any(grads))
    return out


def test_masked_and_none_operations_are_not_computed():
    """A masked operation neither runs (its batch norms count no batch) nor gets a gradient; every kept one
    runs exactly once per pass (the edges leaving a state run batched, so module hooks are not the witness)."""
    model = _relaxed(layers=2).train()
    assert "none" not in model.net.cells[0].edges[0]  # ``none`` has no module at all
    x = _x(4)
    model(x).sum().backward()
    runs = _runs(model)
    # 6 ops with a batch norm per edge; a reduction cell's 8 strided skips (FactorizedReduce) have one too
    assert len(runs) == sum(NUM_EDGES * 6 + 8 * cell.reduction for cell in model.net.cells)
    assert {n for n, _ in runs.values()} == {1}
    assert all(g for (_, e, name), (_, g) in runs.items() if "pool" not in name)  # pools have no weights
    keep = np.random.default_rng(0).random((2, NUM_EDGES, NUM_OPS)) < 0.4
    keep[:, :, 0] = True
    model.set_mask(keep)
    model.zero_grad(set_to_none=True)
    model(x).sum().backward()
    for (c, e, name), (n, grad) in _runs(model).items():
        kept = bool(keep[int(model.net.cells[c].reduction), e, OPS.index(name)])
        assert n == 1 + kept, (c, e, name)
        if "pool" not in name:
            assert grad == kept, (c, e, name)
    assert torch.equal(model.arch_weights()[~torch.as_tensor(keep)], torch.zeros(int((~keep).sum())))


def _per_edge(cell, s0: torch.Tensor, s1: torch.Tensor, w: torch.Tensor, keep) -> torch.Tensor:
    """DARTS's ``MixedOp`` loop, the reference: every kept operation of every edge run on its own module."""
    states = [cell.preprocess0(s0), cell.preprocess1(s1)]
    for j in range(4):
        total = None
        for src in range(j + 2):
            e = edge_index(src, j)
            for o in range(1, NUM_OPS):
                if keep[e][o]:
                    y = w[e, o] * cell.edges[e][OPS[o]](states[src])
                    total = y if total is None else total + y
        states.append(cell._node(total, states[1]))
    return torch.cat(states[2:], dim=1)


@pytest.mark.parametrize("train", [True, False])
def test_batched_mixed_cells_compute_darts_s_per_edge_loop(train):
    """Outputs, every gradient and every batch norm's running statistics of the batched mixed pass agree with
    the per-edge loop to float64 rounding, under a random mask with a ``none``-only edge and a node left with
    nothing but ``none``; in the reduction cell the strided skips are FactorizedReduce."""
    model = _relaxed(layers=3).double()
    reference = copy.deepcopy(model)
    for cell in reference.net.cells:
        cell.forward_mixed = functools.partial(_per_edge, cell)
    keep = np.random.default_rng(3).random((2, NUM_EDGES, NUM_OPS)) < 0.5
    keep[:, :, 3] |= ~keep.any(-1)
    keep[0, 5] = [True] + [False] * 7                     # edge (0, 4): only ``none``
    keep[1, [edge_index(s, 3) for s in range(5)]] = False  # reduction node 5: nothing but ``none``
    keep[1, [edge_index(s, 3) for s in range(5)], 0] = True
    for m in (model, reference):
        m.set_mask(keep)
        with torch.no_grad():
            m.alpha.copy_(torch.randn(m.alpha.shape, generator=torch.Generator().manual_seed(2)))
        m.train(train)
    x, y = _x(6, dtype=torch.float64), torch.arange(6) % 10
    for _ in range(2):
        outs = [m(x) for m in (model, reference)]
        torch.testing.assert_close(outs[0], outs[1], rtol=1e-12, atol=1e-12)
        for m, out in zip((model, reference), outs):
            m.zero_grad(set_to_none=True)
            torch.nn.functional.cross_entropy(out, y).backward()
        for (name, p), q in zip(model.named_parameters(), reference.parameters()):
            assert (p.grad is None) == (q.grad is None), name
            if p.grad is not None:
                torch.testing.assert_close(p.grad, q.grad, rtol=1e-10, atol=1e-12, msg=name)
    got, want = model.state_dict(), reference.state_dict()
    for name in want:
        torch.testing.assert_close(got[name], want[name], rtol=1e-12, atol=1e-12, msg=name)


def test_batched_batch_norm_is_each_module_s_own():
    """One batch norm over several modules' channel groups equals each module on its own group, running
    statistics and batch counts included (bit for bit: batch norm is per channel)."""
    torch.manual_seed(0)
    bns = [torch.nn.BatchNorm2d(3, affine=affine) for affine in (False,) * 3]
    twins = copy.deepcopy(bns)
    x = torch.randn(5, 9, 4, 4)
    for train in (True, True, False):
        for b in (*bns, *twins):
            b.train(train)
        got = batch_norm(x, bns)
        want = torch.cat([b(x[:, 3 * i: 3 * i + 3].contiguous()) for i, b in enumerate(twins)], dim=1)
        assert torch.equal(got, want)
        for b, t in zip(bns, twins):
            assert torch.equal(b.running_mean, t.running_mean) and torch.equal(b.running_var, t.running_var)
            assert int(b.num_batches_tracked) == int(t.num_batches_tracked)
        x = x * 2 + 1
    assert int(bns[0].num_batches_tracked) == 2


def test_edges_operations_and_architecture_weight_shapes():
    assert SPACE.edges() == list(EDGES) == [(s, d) for d in range(2, 6) for s in range(d)]
    assert len(SPACE.edges()) == 14 and len(OPS) == 8
    assert OPS == ("none", "max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5",
                   "dil_conv_3x3", "dil_conv_5x5")
    model = _relaxed(layers=2)
    (alpha,) = model.arch_parameters()
    assert alpha.shape == (2, 14, 8) and model.arch_weights().shape == (2, 14, 8)
    assert model.keep.shape == (2, 14, 8)
    ids = {id(p) for p in model.weight_parameters()}
    assert id(alpha) not in ids and ids == {id(p) for p in model.net.parameters()}
    shared = _relaxed(layers=2, categorical="shared", parametrisation="simplex")
    assert shared.alpha.shape == (1, 1, 8) and shared.arch_weights().shape == (2, 14, 8)
    with pytest.raises(ValueError):
        model.set_mask(np.ones((14, 8), dtype=bool))
    with pytest.raises(ValueError):
        model.set_mask(np.zeros((2, 14, 8), dtype=bool))


def _row(base: float = 0.02, **ops: float) -> list[float]:
    """One edge's weights: ``base`` on every non-none op but those named, ``none`` the rest of the unit mass."""
    r = [base] * NUM_OPS
    for name, v in ops.items():
        r[OPS.index(name)] = v
    r[0] = 0.0
    r[0] = 1.0 - sum(r)
    return r


def test_derive_keeps_the_two_strongest_non_none_edges_per_node():
    w = np.array([[_row()] * NUM_EDGES, [_row()] * NUM_EDGES])
    normal = {0: _row(sep_conv_3x3=0.5), 1: _row(skip_connect=0.4),                           # node 2
              2: _row(0.0, max_pool_3x3=0.1), 3: _row(dil_conv_5x5=0.3), 4: _row(avg_pool_3x3=0.2),  # node 3
              5: _row(dil_conv_3x3=0.35), 8: _row(sep_conv_5x5=0.6),                          # node 4
              10: _row(skip_connect=0.5), 12: _row(0.01), 13: _row(max_pool_3x3=0.7)}         # node 5
    for e, r in normal.items():
        w[0, e] = r
    assert w[0, 2, 0] == pytest.approx(0.9)  # ``none`` is edge 2's strongest op, yet edge 2 loses
    o = OPS.index
    want_normal = (0, o("sep_conv_3x3"), 1, o("skip_connect"), 1, o("dil_conv_5x5"), 2, o("avg_pool_3x3"),
                   0, o("dil_conv_3x3"), 3, o("sep_conv_5x5"), 1, o("skip_connect"), 4, o("max_pool_3x3"))
    want_reduce = (0, 1, 1, 1) * 4  # all tied: the lower sources and the lower op id (max_pool_3x3)
    assert derive_genotype(w) == want_normal + want_reduce
    model = _relaxed(layers=2, parametrisation="simplex")
    with torch.no_grad():
        model.alpha.copy_(torch.as_tensor(w, dtype=torch.float32))
    assert model.derive() == want_normal + want_reduce
    keep = np.ones((2, NUM_EDGES, NUM_OPS), dtype=bool)
    keep[0, 0, o("sep_conv_3x3")] = False  # edge 0 falls back to its best kept op (ties: max_pool_3x3)
    model.set_mask(keep)
    assert model.derive()[:4] == (0, o("max_pool_3x3"), 1, o("skip_connect"))


def test_format_parse_round_trip_index_and_size():
    rng = np.random.default_rng(3)
    archs = SPACE.sample(rng, 50) + [DARTS_V2, arch_from_index(0), arch_from_index(SPACE.size() - 1)]
    for arch in archs:
        text = SPACE.format(arch)
        assert text.startswith("Genotype(normal=[") and SPACE.parse(text) == arch and SPACE.format(SPACE.parse(text)) == text
        assert SPACE.from_index(SPACE.index(arch)) == arch and 0 <= SPACE.index(arch) < SPACE.size()
    # DARTS prints a node's pairs by strength: parse takes any order
    published = ("Genotype(normal=[('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 0), ('sep_conv_3x3', 1), "
                 "('skip_connect', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 2)], normal_concat=[2, 3, 4, 5], "
                 "reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 0), "
                 "('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('avg_pool_3x3', 0)], reduce_concat=[2, 3, 4, 5])")
    v1 = SPACE.parse(published)
    assert v1[:4] == (0, OPS.index("sep_conv_3x3"), 1, OPS.index("sep_conv_3x3")) and SPACE.parse(SPACE.format(v1)) == v1
    with pytest.raises(ValueError):
        SPACE.parse(published.replace("('skip_connect', 2)]", "('none', 2)]"))
    # brute force, one node at a time: the valid (in, op, in, op) of node j among all of choices_per_decision's
    base = list(arch_from_index(0))
    choices = SPACE.choices_per_decision()
    for j in range(4):
        pos = PER_CELL + 4 * j  # the reduction cell's node j
        valid = []
        for combo in itertools.product(*(range(c) for c in choices[pos: pos + 4])):
            arch = base[:pos] + list(combo) + base[pos + 4:]
            try:
                valid.append(check_arch(arch))
            except ValueError:
                continue
        assert len(valid) == node_size(j) == math.comb(2 + j, 2) * 7 ** 2
        if j == 3:  # the least significant digit: the index numbers the node's choices 0..489
            assert sorted(SPACE.index(a) for a in valid) == list(range(node_size(3)))
    closed = math.prod(math.comb(2 + j, 2) * 7 ** 2 for j in range(4)) ** 2
    assert SPACE.size() == CELL_SIZE ** 2 == closed == 1_076_746_950_455_072_400
    with pytest.raises(ConfigError, match="cannot be enumerated"):
        SPACE.enumerate()


def test_darts_v2_evaluation_network_has_the_published_parameter_count():
    with torch.device("meta"):
        net = SPACE.build_network(DARTS_V2, 10)  # 20 cells, C = 36, auxiliary head
        imagenet = SPACE.build_network(DARTS_V2, 1000, imagenet=True)  # 14 cells, C = 48
    assert net.layers == 20 and net.auxiliary and net.drop_path == 0.2
    # DARTS counts without the auxiliary head (utils.count_parameters_in_MB); Table 1: 3.3 M
    assert count_parameters(net) == 3_349_342 and 3.2e6 <= count_parameters(net) <= 3.45e6
    assert sum(p.numel() for p in net.parameters()) > count_parameters(net)
    assert imagenet.layers == 14 and count_parameters(imagenet) == 4_718_752  # Table 2: 4.7 M


def test_tiny_search_network_forward_backward_and_reduction_resolution():
    model = _relaxed(layers=3).train()
    shapes = []
    for cell in model.net.cells:
        cell.register_forward_hook(lambda m, i, o: shapes.append(tuple(o.shape)))
    out = model(_x())
    assert out.shape == (2, 10)
    # cells 1 and 2 (layers//3, 2*layers//3) reduce: channels double, resolution halves; 4 nodes concatenated
    assert [c.reduction for c in model.net.cells] == [False, True, True]
    assert shapes == [(2, 16, 8, 8), (2, 32, 4, 4), (2, 64, 2, 2)]
    torch.nn.functional.cross_entropy(out, torch.tensor([1, 2])).backward()
    assert model.alpha.grad is not None and model.alpha.grad.abs().sum() > 0
    assert all(p.grad is not None for p in model.net.stem.parameters())
    shapes.clear()
    assert model(_x(), SPACE.sample(np.random.default_rng(0))[0]).shape == (2, 10) and len(shapes) == 3


def test_drop_path_and_auxiliary_head():
    torch.manual_seed(0)
    net = DartsNetwork(DARTS_V2, 10, channels=4, layers=3, auxiliary=False)
    x = _x()
    net.eval()
    net.drop_path_prob = 0.5  # ignored outside training
    with torch.no_grad():
        assert torch.equal(net(x), net(x))
    net.set_progress(10, 100)
    assert net.drop_path_prob == pytest.approx(0.02)
    # one path's output: whole samples zeroed, the rest scaled by 1 / (1 - p)
    torch.manual_seed(0)
    y = drop_path(torch.ones(16, 2, 3, 3), 0.5)
    per_sample = y.flatten(1)
    assert set(per_sample.unique().tolist()) == {0.0, 2.0}
    assert ((per_sample == 0).all(1) | (per_sample == 2).all(1)).all() and 0 < int((per_sample == 0).all(1).sum()) < 16
    net.train()
    net.drop_path_prob = 0.5
    with torch.no_grad():
        torch.manual_seed(1)
        a = net(x)
        torch.manual_seed(1)
        b = net(x)
        torch.manual_seed(2)
        c = net(x)
        net.drop_path_prob = 0.0
        d = net(x)
        e = net(x)
    assert torch.equal(a, b) and not torch.equal(a, c) and torch.equal(d, e)
    # identities (skip_connect at stride 1) are never dropped, as DARTS's cell
    skip = (0, 3, 1, 3) * 4
    cell = EvalCell(skip, 4, 4, 4, reduction=False, reduction_prev=False).train()
    s = torch.randn(2, 4, 8, 8)
    with torch.no_grad():
        assert torch.equal(cell(s, s, 0.0), cell(s, s, 0.99))
    # auxiliary logits come only in training mode (DARTS: loss + 0.4 * auxiliary loss)
    torch.manual_seed(0)
    aux = DartsNetwork(DARTS_V2, 10, channels=4, layers=3).train()
    out = aux(_x(size=32))  # the CIFAR head expects 8x8 maps: 32 -> 16 -> 8 after the two reductions
    assert isinstance(out, tuple) and out[0].shape == out[1].shape == (2, 10)
    y = torch.tensor([0, 1])
    loss = task_loss(out, y)
    ce = torch.nn.functional.cross_entropy
    assert torch.allclose(loss, ce(out[0], y) + 0.4 * ce(out[1], y))
    loss.backward()
    assert aux.auxiliary_head.classifier.weight.grad is not None
    assert aux.eval()(_x(size=32)).shape == (2, 10)
    # 16 px input leaves 4x4 maps at the head: a config error naming the switch, not a pooling error
    with pytest.raises(ConfigError, match="8x8 feature map.*auxiliary: false"):
        aux.train()(_x(size=16))
    # the ImageNet head's own size (224 px: 7x7 at 2/3 depth) passes the check
    from nasrepro.spaces.darts_eval import AuxiliaryHead
    assert AuxiliaryHead(4, 10, imagenet=True)(torch.randn(2, 4, 7, 7)).shape == (2, 10)


def test_one_bilevel_epoch_runs_on_the_relaxed_darts_network():
    from nasrepro.data.loader import DeviceLoader
    from nasrepro.runtime import make_runtime, seed_everything
    from nasrepro.testing import synthetic_images
    from nasrepro.training.bilevel import ArchOptimConfig, BilevelTrainer
    from nasrepro.training.optim import OptimConfig

    runtime = make_runtime("cpu", deterministic=True)
    x, y = synthetic_images(8, 3)
    x = x[:, :, :8, :8].contiguous()
    model = _relaxed(layers=2)
    train = DeviceLoader(x[:4], y[:4], 2, runtime.device, augment=False, seed=0)
    val = DeviceLoader(x[4:], y[4:], 2, runtime.device, augment=False, seed=1)
    trainer = BilevelTrainer(model, OptimConfig(epochs=1, batch_size=2, lr=0.025), ArchOptimConfig(), runtime,
                             train, val, seed_everything(0), log=lambda m: None)
    before = model.alpha.detach().clone()
    row = trainer.train_epoch(0)
    assert not torch.equal(before, model.alpha.detach())
    assert tuple(row["derived"]) == model.derive() and SPACE.parse(SPACE.format(model.derive())) == model.derive()
