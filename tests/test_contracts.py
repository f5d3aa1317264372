"""The contract every registered sampler and search space keeps, checked for each entry of the
registries: a new sampler or space is covered by adding its registry line."""

import numpy as np
import pytest
import torch

from nasrepro.errors import ConfigError
from nasrepro.samplers import SAMPLERS, make_sampler, sampler_class
from nasrepro.samplers.phases import PHASE_MODES
from nasrepro.spaces import SPACES, get_space
from nasrepro.testing import synthetic_images, tiny_trainer, weights


def _space_for(name: str) -> str:
    """Pooling (36 architectures), unless the sampler cannot run there (strict fairness needs equal
    choices per decision): then NAS-Bench-Macro."""
    space = get_space("pooling")
    try:
        make_sampler(name, space.encodings(), space.choices_per_decision())
        return "pooling"
    except ConfigError:
        return "nb-macro"


def _trainer(name: str, **kwargs):
    cls = sampler_class(name)
    search = {"phases": [0.4, 0.25, 0.35], "warmup_fraction": 0.5}
    return tiny_trainer(_space_for(name), name, cls.phases(search), epochs=2, train_images=32, val_images=16,
                        **kwargs)


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_sampler_resumes_to_the_same_run_and_is_deterministic(name, tmp_path):
    full, again = _trainer(name), _trainer(name)
    full.run(), again.run()
    assert torch.equal(weights(full), weights(again)) and np.array_equal(full.visits, again.visits)
    first = _trainer(name, checkpoint=tmp_path / "ck.pt")
    first.run(stop_after_epoch=1)
    second = _trainer(name, checkpoint=tmp_path / "ck.pt")
    assert second.resume_if_possible()
    second.run()
    assert torch.equal(weights(full), weights(second))
    assert np.array_equal(full.visits, second.visits)
    assert np.array_equal(full.sampler.probabilities(), second.sampler.probabilities())
    assert full.sampler.select(3, np.random.default_rng(1)) == second.sampler.select(3, np.random.default_rng(1))


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_sampler_probabilities_selection_and_drawn_paths_are_valid(name):
    trainer = _trainer(name)
    trainer.run()
    sampler, paths_n = trainer.sampler, len(trainer.archs)
    n = paths_n // sampler.weight_sets  # a mixture draws (weight set, architecture) pairs; it ranks architectures
    assert n == 36 or n == 6561
    p = sampler.probabilities()
    assert p.shape == (n,) and (p >= 0).all() and p.sum() == pytest.approx(1.0)
    for k in (1, 4):
        chosen = sampler.select(k, np.random.default_rng(0))
        assert 1 <= len(chosen) <= k and len(set(chosen)) == len(chosen)
        assert all(isinstance(i, int) and 0 <= i < n for i in chosen)
    paths = sampler.sample_paths(np.random.default_rng(0))
    assert paths and all(0 <= int(i) < paths_n for i in paths)
    assert sampler.weight_set_of().shape == (n,) and (0 <= sampler.weight_set_of()).all()
    assert (sampler.weight_set_of() < sampler.weight_sets).all()
    x, y = synthetic_images(4, 9)
    logits = trainer.model(x.float() / 255.0, trainer.archs[int(paths[0])])  # a drawn path runs forward
    assert logits.shape == (4, 10) and torch.isfinite(logits).all()


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_sampler_phase_plan_is_well_formed(name):
    cls = sampler_class(name)
    plan = cls.phases({"phases": [0.4, 0.25, 0.35], "warmup_fraction": 0.25})
    assert plan and all(p.mode in PHASE_MODES and p.fraction > 0 for p in plan)
    assert sum(p.fraction for p in plan) == pytest.approx(1.0)
    if not cls.uses_reward:  # nothing would feed an explore phase
        assert "explore" not in [p.mode for p in plan]
    if cls.guides_selection:
        from nasrepro.samplers.base import Sampler

        assert cls.probabilities is not Sampler.probabilities


SMALL = 100_000  # spaces up to this size are enumerated whole


@pytest.mark.parametrize("name", sorted(SPACES))
def test_space_arch_strings_survive_a_csv_round_trip(name, tmp_path):
    """Tables print ``space.format``; pandas (like spreadsheets and R) must read it back as the same text,
    e.g. NAS-Bench-Macro's ``[02102120]`` and not the integer 2102120."""
    import pandas as pd

    space = get_space(name)
    rng = np.random.default_rng(1)
    if space.size() > SMALL:
        archs = list(space.sample(rng, 20))
    else:  # NB-Macro's first three are 00000000, 00000001, 00000002 (all leading zeros)
        every = space.enumerate()
        archs = every[:3] + [every[i] for i in rng.choice(len(every), min(20, len(every)), replace=False)]
    written = [space.format(a) for a in archs]
    pd.DataFrame({"arch": written, "acc": 1.0}).to_csv(tmp_path / "t.csv", index=False)
    read = pd.read_csv(tmp_path / "t.csv")["arch"]
    assert all(isinstance(t, str) for t in read) and list(read) == written
    assert [space.parse(t) for t in read] == [tuple(a) for a in archs]


@pytest.mark.parametrize("name", sorted(SPACES))
def test_space_names_indices_and_a_forward_pass(name):
    space = get_space(name)
    rng = np.random.default_rng(0)
    archs = space.sample(rng, 5) if space.size() > SMALL else [space.enumerate()[i] for i in
                                                                 rng.choice(space.size(), 5, replace=False)]
    choices = space.choices_per_decision()
    for arch in archs:
        assert len(arch) == len(choices) and all(0 <= a < c for a, c in zip(arch, choices))
        assert space.parse(space.format(arch)) == tuple(arch)
        if hasattr(space, "from_index"):
            assert space.from_index(space.index(arch)) == tuple(arch)
        assert space.supernet_key(space.supernet_key(arch)) == space.supernet_key(arch)
    assert len({space.display_index(a) for a in archs}) == len(archs)  # the printed numbers tell them apart
    if space.size() <= SMALL:
        every = space.enumerate()
        assert len(every) == space.size() == len(set(every))
        assert [space.index(a) for a in every[:50]] == list(range(min(50, len(every))))
    torch.manual_seed(0)
    supernet = space.build_supernet(10, 0.125).eval()
    x = torch.randn(2, 3, 32, 32)
    for arch in archs[:2]:
        with torch.no_grad():
            out = supernet(x, arch)
            alone = space.build_network(arch, 10, 0.125).eval()(x)
        # classification: [B, classes]; segmentation (space.task): per-pixel logits at the input's resolution
        want = (2, 10) if space.task == "classification" else (2, 10, 32, 32)
        assert out.shape == alone.shape == want and torch.isfinite(out).all()
        own = sum(p.numel() for p in space.build_network(arch, 10, 0.125).parameters())
        if space.network_is_subnet:  # a path of the supernet cannot own more weights than the supernet
            assert own <= sum(p.numel() for p in supernet.parameters())


def _differentiable_runs():
    """(setting, method) of every differentiable search the demo preset runs."""
    from nasrepro import config

    from nasrepro import catalogue

    cfg = config.resolve(config.load("config/config.yaml", {"preset": "demo"}))
    return cfg, sorted({(n.setting, m) for t in catalogue.TARGETS for n in t.needs
                        if isinstance(n, (catalogue.Runs, catalogue.Files)) and cfg.get(n.setting)
                        for m in catalogue.run_methods(cfg, n.setting, n.methods)
                        if "differentiable" in cfg["methods"][m]})


@pytest.mark.parametrize("setting,method", _differentiable_runs()[1])
def test_every_relaxed_network_the_demo_searches_scores_and_samples_its_cells(setting, method):
    """The differentiable job reads ``log_likelihood`` of each ranked cell and ``sample_weights`` of each
    epoch's weights from the relaxed network of any space (Ch. 2's resolutions, NB201, DARTS)."""
    from nasrepro.config import space_config, space_of
    from nasrepro.jobs.differentiable import relaxed_model

    cfg = _differentiable_runs()[0]
    scfg = space_config(cfg, setting)
    torch.manual_seed(0)
    model = relaxed_model(get_space(space_of(cfg, setting)), scfg, method, cfg["methods"][method]["differentiable"], 10)
    with torch.no_grad():
        for p in model.arch_parameters():
            p.copy_(torch.rand_like(p) + 0.1)
    arch = model.derive()
    w = model.arch_weights().detach().double().numpy()
    if w.ndim == 2 and w.shape[0] == len(arch):  # one row per decision: the product of the chosen weights
        assert model.log_likelihood(arch) == pytest.approx(float(np.log([w[i, a] for i, a in enumerate(arch)]).sum()))
    else:
        assert np.isfinite(model.log_likelihood(arch))
    drawn = model.sample_weights(w, np.random.default_rng(0))
    assert len(drawn) == len(arch)
    assert model.log_likelihood(drawn) > -np.inf
