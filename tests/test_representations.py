"""Density representations of thesis Table 5.2: gradients (Eq. 5.5), linear CKA (Eq. A II-1), and the
per-architecture record behind Figs. 5.1 and 5.2."""

import numpy as np
import pytest
import torch

from nasrepro import testing
from nasrepro.errors import ConfigError
from nasrepro.evaluation.representations import (CountSketch, collect_cka_features, collect_gradients,
                                                 default_cka_layers, linear_cka)
from nasrepro.runtime import make_runtime
from nasrepro.samplers.density import DensitySampler, mean_cosine_distance, unit_rows
from nasrepro.spaces import get_space
from nasrepro.spaces.base import Supernet
from nasrepro.training.supernet import Phase

CPU = make_runtime("cpu", deterministic=True)


class LinearToy(Supernet):
    """logits = x Wᵀ (shared, optional) + x U_opᵀ: one layer with two candidate operations."""

    def __init__(self, shared: bool = True):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.w = torch.nn.Parameter(torch.randn(3, 4, generator=g)) if shared else None
        self.u = torch.nn.ParameterList([torch.nn.Parameter(torch.randn(3, 4, generator=g)) for _ in range(2)])

    def forward(self, x, arch):
        z = x @ self.u[arch[0]].T
        return z + x @ self.w.T if self.w is not None else z


def hand_gradient(model: LinearToy, x: np.ndarray, y: np.ndarray, op: int) -> np.ndarray:
    """dL/dW = dL/dU_op = (softmax(z) - onehot(y))ᵀ x / B for mean cross-entropy; zero for the other op."""
    w = model.w.detach().numpy() if model.w is not None else 0.0
    u = [p.detach().numpy() for p in model.u]
    z = x @ (w + u[op]).T
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    g = (p - np.eye(3)[y]).T @ x / len(x)
    blocks = ([g] if model.w is not None else []) + [g if k == op else np.zeros_like(g) for k in range(2)]
    return np.concatenate([b.ravel() for b in blocks])


def toy_batch():
    rng = np.random.default_rng(1)
    return rng.normal(size=(5, 4)).astype(np.float32), np.array([0, 2, 1, 1, 0])


def test_gradient_representation_equals_the_hand_computed_gradient_and_its_density():
    model = LinearToy()
    x, y = toy_batch()
    got = collect_gradients(model, [(0,), (1,)], torch.from_numpy(x), torch.from_numpy(y), CPU)
    hand = np.stack([hand_gradient(model, x, y, op) for op in (0, 1)])
    np.testing.assert_allclose(got, hand, rtol=1e-5, atol=1e-7)
    # Eq. 5.5 over two architectures: each one's mean distance is 1 - cos(g_0, g_1); only W is shared
    cos = hand[0, :12] @ hand[1, :12] / (np.linalg.norm(hand[0]) * np.linalg.norm(hand[1]))
    np.testing.assert_allclose(mean_cosine_distance(got), [1 - cos, 1 - cos], rtol=1e-5)
    assert all(p.grad is None for p in model.parameters())  # the run's .grad is left alone


def test_operations_that_share_no_weights_have_orthogonal_gradients():
    """Thesis §5.4.2 on NAS-Bench-Macro: d(i, j) = 1 where the layers share no weights."""
    model = LinearToy(shared=False)
    x, y = toy_batch()
    g = collect_gradients(model, [(0,), (1,)], torch.from_numpy(x), torch.from_numpy(y), CPU)
    np.testing.assert_allclose(mean_cosine_distance(g), [1.0, 1.0], atol=1e-12)


def test_count_sketch_is_its_linear_map_and_preserves_inner_products_on_average():
    params = [torch.zeros(30), torch.zeros(5, 4)]
    g = [torch.randn(30, generator=torch.Generator().manual_seed(2)), None]
    sketch = CountSketch(params, 16, seed=3)
    flat = torch.cat([g[0], torch.zeros(20)])
    torch.testing.assert_close(sketch(g), sketch.matrix() @ flat)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=50), rng.normal(size=50)
    y += x  # correlated, so the inner product is far from 0
    dim, trials = 16, 400
    est = []
    for seed in range(trials):
        s = CountSketch([torch.zeros(50)], dim, seed=seed)
        est.append(float(s([torch.tensor(x, dtype=torch.float32)]) @ s([torch.tensor(y, dtype=torch.float32)])))
    # unbiased, with variance at most (|x|²|y|² + <x,y>²) / dim per sketch (Charikar et al., 2002)
    bound = (x @ x * (y @ y) + (x @ y) ** 2) / dim
    assert abs(np.mean(est) - x @ y) < 4 * np.sqrt(bound / trials)
    with pytest.raises(ConfigError, match="gradient_dim"):
        CountSketch(params, 0)


def test_linear_cka_closed_form_and_invariances():
    a = torch.tensor([[1.0], [2.0], [3.0]])  # centred: (-1, 0, 1)
    b = torch.tensor([[1.0], [0.0], [0.0]])  # centred: (2, -1, -1) / 3
    assert linear_cka(a, b) == pytest.approx(0.75)  # one feature each: cos² of the centred vectors = 1 / (2 * 2/3)
    x = torch.randn(20, 6, generator=torch.Generator().manual_seed(0))
    q, _ = torch.linalg.qr(torch.randn(6, 6, generator=torch.Generator().manual_seed(1)))
    assert linear_cka(x, x) == pytest.approx(1.0)
    assert linear_cka(x, x @ q) == pytest.approx(1.0)  # orthogonal transforms
    assert linear_cka(x, 7.5 * x) == pytest.approx(1.0)  # isotropic scaling
    z = torch.randn(20, 3, generator=torch.Generator().manual_seed(2))
    assert 0.0 <= linear_cka(x, z) < 0.9


def test_cka_features_give_the_mean_cka_over_the_selected_layers():
    space = get_space("pooling")
    model = space.build_supernet(width=0.125)
    x = torch.randn(6, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    archs = [space.enumerate()[3], space.enumerate()[20]]
    taps = default_cka_layers(len(archs[0]))
    assert taps == [4, 9]
    feats = collect_cka_features(model, archs, x, CPU)
    u = unit_rows(feats)
    got = float(u[0] @ u[1])

    def activations(arch):  # the same batch statistics collect_cka_features uses
        from nasrepro.runtime import batch_statistics

        with torch.no_grad(), batch_statistics(model):
            h, acts = model.begin(x), {}
            for j, op in enumerate(arch):
                h = model.advance(h, j, op)
                acts[j + 1] = h
        return acts

    a, b = activations(archs[0]), activations(archs[1])
    expected = np.mean([linear_cka(a[t], b[t]) for t in taps])
    assert got == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ConfigError, match="cka_layers"):
        collect_cka_features(model, archs, x, CPU, layers=[0])


def tiny(ckpt=None, **options):
    return testing.tiny_trainer("pooling", "density", [Phase("uniform", 0.5), Phase("sample", 0.5)], checkpoint=ckpt,
                                epochs=2, train_images=32, val_images=16, data_seed=5, tau=1.0, **options)


def test_measuring_gradients_leaves_the_supernet_and_its_training_untouched():
    t = tiny(representation="gradient")
    before = {k: v.clone() for k, v in t.model.state_dict().items()}
    g = t.features(range(36), 8, "gradient", gradient_dim=64)
    assert g.shape == (36, 64) and np.isfinite(g).all()
    after = t.model.state_dict()
    for k, v in before.items():
        if not k.endswith("num_batches_tracked"):
            assert torch.equal(v, after[k]), k
    assert all(p.grad is None for p in t.model.parameters()) and t.model.training


@pytest.mark.parametrize("representation", ["gradient", "representational"])
def test_density_from_gradients_or_cka_records_figure_columns_and_resumes_exactly(tmp_path, representation):
    full = tiny(representation=representation, batch_images=8)
    ref = full.run()
    record = full.sampler.per_arch()
    figure_columns = {"functional_mean_distance", "projection_1", "projection_2"}  # Figs. 5.1/5.2: gradients only
    assert set(record) == {"mean_distance"} | (figure_columns if representation == "gradient" else set())
    assert all(len(v) == 36 and np.isfinite(v).all() for v in record.values())
    assert full.sampler.probs is not None and not np.allclose(full.sampler.probs, 1 / 36)
    first = tiny(tmp_path / "ck.pt", representation=representation, batch_images=8)
    first.run(stop_after_epoch=1)
    second = tiny(tmp_path / "ck.pt", representation=representation, batch_images=8)
    assert second.resume_if_possible()
    res = second.run()
    assert np.array_equal(ref.visits, res.visits)
    for a, b in zip(full.model.parameters(), second.model.parameters()):
        assert torch.equal(a, b)
    for k, v in record.items():
        np.testing.assert_array_equal(second.sampler.per_arch()[k], v)


def test_functional_density_records_only_its_own_mean_distance():
    s = DensitySampler(np.arange(4)[:, None], [4], tau=1.0)
    f = np.random.default_rng(0).normal(size=(4, 3))
    s.featurize = lambda idx: f[np.asarray(idx)]
    s.sample(np.random.default_rng(0))
    assert list(s.per_arch()) == ["mean_distance"]
    np.testing.assert_allclose(s.per_arch()["mean_distance"], mean_cosine_distance(f))


def test_gradient_of_the_later_layers_equals_those_blocks_of_the_full_gradient():
    space = get_space("pooling")
    model = space.build_supernet(width=0.125)
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(6, 3, 32, 32, generator=g), torch.randint(0, 10, (6,), generator=g)
    archs = [space.enumerate()[i] for i in (3, 4, 20)]  # 3 and 4 share their first five decisions
    full = collect_gradients(model, archs, x, y, CPU)
    late = collect_gradients(model, archs, x, y, CPU, from_decision=5)
    names = [n for n, _ in model.named_parameters()]
    sizes = [p.numel() for p in model.parameters()]
    kept = np.concatenate([np.full(n, name.startswith(("layers.5", "layers.6", "layers.7", "layers.8", "layers.9",
                                                          "classifier"))) for name, n in zip(names, sizes)])
    np.testing.assert_allclose(late[:, kept], full[:, kept], rtol=1e-4, atol=1e-6)
    assert not late[:, ~kept].any() and full[:, ~kept].any()
    with pytest.raises(ConfigError, match="gradient_from"):
        collect_gradients(model, archs, x, y, CPU, from_decision=10)


def test_figures_5_1_and_5_2_from_the_gradient_run_and_a_clear_error_without_its_record(tmp_path):
    import pandas as pd

    from nasrepro import catalogue

    rng = np.random.default_rng(0)
    archs = [f"[{i}]" for i in range(36)]
    d = rng.uniform(0.4, 0.6, 36)
    frames = {("pooling-ch5", "debiased-grad"): {"mean_distance": d, "functional_mean_distance": d + 0.01 * rng.normal(size=36),
                                                 "projection_1": rng.normal(size=36), "projection_2": rng.normal(size=36)},
              ("pooling-ch5", "uniform"): {}, ("nb-macro-ch5", "debiased-grad"): {"mean_distance": d,
                                                                                   "functional_mean_distance": 2 - d}}
    paths = {}
    for (setting, method), extra in frames.items():
        run = tmp_path / setting / "search" / method / "s0"
        run.mkdir(parents=True)
        pd.DataFrame({"arch": archs, "supernet_val_acc": rng.uniform(50, 60, 36), "gt_acc": rng.uniform(90, 92, 36),
                      **extra}).to_csv(run / "arch_eval.csv", index=False)
        paths[setting, method] = run / "arch_eval.csv"
    cfg = {"preset": "demo", "config_hash": "abc"}
    fig51 = catalogue.get("thesis_fig5_1").builder
    fig51(cfg, [paths["pooling-ch5", "debiased-grad"], paths["pooling-ch5", "uniform"]], tmp_path / "a.pdf", tmp_path / "a.png")
    assert (tmp_path / "a.pdf").stat().st_size > 0 and (tmp_path / "a.png").stat().st_size > 0
    fig52 = catalogue.get("thesis_fig5_2").builder
    fig52(cfg, [paths["pooling-ch5", "debiased-grad"], paths["nb-macro-ch5", "debiased-grad"]],
          tmp_path / "b.pdf", tmp_path / "b.png")
    assert (tmp_path / "b.png").stat().st_size > 0
    with pytest.raises(ConfigError, match="representation 'gradient'"):
        fig52(cfg, [paths["pooling-ch5", "uniform"]], tmp_path / "c.pdf", tmp_path / "c.png")
