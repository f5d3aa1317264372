"""Evolution with supernet shifting (``nasrepro.evaluation.ea_shift``): the SPOS evolution's bookkeeping with a
fixed oracle, shifting that touches only the candidate's path, the budget, and an exact resume."""

import itertools

import numpy as np
import pytest
import torch

from nasrepro.data.loader import BatchCycler, DeviceLoader
from nasrepro.errors import ConfigError
from nasrepro.evaluation.ea_shift import Candidates, EAShiftConfig, ShiftingEvolution
from nasrepro.runtime import make_runtime
from nasrepro.spaces import get_space
from nasrepro.spaces.population import search_candidates
from nasrepro.testing import synthetic_images

RUNTIME = make_runtime("cpu", deterministic=True)
SMALL = dict(generations=4, population=8, select=3, mutation=3, crossover=3, m_prob=0.3, train_steps=0)


def _grid(limit: int = 6):
    """4 decisions of 3 choices; feasible when the choices sum to at most ``limit``."""
    return Candidates(draw=lambda rng: tuple(int(v) for v in rng.integers(3, size=4)),
                      feasible=lambda a: sum(a) <= limit, choices=[3, 3, 3, 3])


class Oracle:
    def __init__(self):
        self.calls = []

    def __call__(self, archs):
        self.calls += [tuple(a) for a in archs]
        return np.array([sum(a) + 0.1 * a[0] for a in archs], dtype=float)  # best feasible at sum <= limit


def _evolution(oracle, candidates=None, checkpoint=None, **options):
    model = torch.nn.Linear(1, 1)
    batches = BatchCycler(DeviceLoader(*synthetic_images(8, 0), 4))
    return ShiftingEvolution(model, candidates or _grid(), EAShiftConfig(**{**SMALL, **options}), batches, oracle,
                             RUNTIME, np.random.default_rng(0), checkpoint=checkpoint, log=lambda m: None)


def test_a_fixed_oracle_gives_a_monotone_best_the_argmax_of_what_was_evaluated_and_respects_the_budget():
    oracle = Oracle()
    found = _evolution(oracle).run()
    bests = [h["best_score"] for h in found.history]
    assert bests == sorted(bests)  # the parents keep the best seen: never worse with a fixed score
    calls = list(oracle.calls)
    evaluated = {a: sum(a) + 0.1 * a[0] for a in calls}
    assert found.score == max(evaluated.values()) and evaluated[found.arch] == found.score
    assert all(sum(a) <= 6 for a in calls)  # every evaluated candidate is within the budget
    # every generation scores a whole population (children first, then uniform draws): 8 x (1 + 4)
    assert found.evaluations == len(calls) == 8 * 5


def test_the_search_finds_the_brute_force_best_of_a_small_space():
    oracle = Oracle()
    found = _evolution(oracle, generations=10).run()
    space = [a for a in itertools.product(range(3), repeat=4) if sum(a) <= 6]
    assert found.score == pytest.approx(max(sum(a) + 0.1 * a[0] for a in space))


def test_bad_options_and_an_empty_budget_are_refused():
    with pytest.raises(ConfigError, match="select <= population"):
        EAShiftConfig.from_dict({"population": 4, "select": 5})
    with pytest.raises(ConfigError, match="unknown keys"):
        EAShiftConfig.from_dict({"populaton": 4})
    with pytest.raises(ConfigError, match="widen the budget"):
        _evolution(Oracle(), candidates=_grid(limit=0)).run()  # one feasible architecture, 8 wanted


def _macro_evolution(checkpoint=None, score=None):
    space = get_space("nb-macro")
    torch.manual_seed(0)
    net = space.build_supernet(width=0.125)
    x, y = synthetic_images(16, 3)
    batches = BatchCycler(DeviceLoader(x, y, 8, augment=True, seed=1))
    vx = x.float() / 255

    def accuracy(archs):
        with torch.no_grad():
            return np.array([(net(vx, a).argmax(1) == y).float().mean().item() for a in archs])

    evo = ShiftingEvolution(net, search_candidates({}, space), EAShiftConfig(**{**SMALL, "train_steps": 1,
                                                                            "batch_size": 8, "lr": 0.05}),
                            batches, score or accuracy, RUNTIME, np.random.default_rng(3), checkpoint=checkpoint,
                            log=lambda m: None)
    return evo, net


def test_shifting_fine_tunes_only_the_candidates_path():
    evo, net = _macro_evolution()
    arch = (0, 1, 2, 0, 1, 2, 0, 1)
    before = {n: p.detach().clone() for n, p in net.named_parameters()}
    evo.shift(arch)
    chosen = {id(p) for d, c in enumerate(arch) for p in net.choice_parameters(d, c)}
    others = {id(p) for d in range(8) for c in range(3) if c != arch[d] for p in net.choice_parameters(d, c)}
    for name, p in net.named_parameters():
        if id(p) in others:
            assert torch.equal(p, before[name]), name
    assert any(not torch.equal(p, before[n]) for n, p in net.named_parameters() if id(p) in chosen)


def test_a_killed_search_resumes_to_the_same_answer_and_weights(tmp_path):
    full, full_net = _macro_evolution()
    want = full.run()

    class Killed(Exception):
        pass

    calls = {"n": 0}
    first, first_net = _macro_evolution(tmp_path / "ea.pt")
    inner = first.score_fn

    def dying(archs):
        calls["n"] += 1
        if calls["n"] > 20:  # mid-way through the third generation
            raise Killed
        return inner(archs)

    first.score_fn = dying
    with pytest.raises(Killed):
        first.run()
    again, again_net = _macro_evolution(tmp_path / "ea.pt")
    got = again.run()
    assert got.arch == want.arch and got.score == want.score and got.history == want.history
    assert all(torch.equal(a, b) for a, b in zip(full_net.state_dict().values(), again_net.state_dict().values()))
