"""Grammar-based search strategies of seed 003 (BANAT), on a grammar whose terms the oracle can score.

* ``GrammarRandomSearch``: terms drawn from the grammar under the connectivity constraint (RS).
* ``GrammarEvolution``: regularised evolution with the grammar's mutation (RE; population 30, tournament
  10, §5 "Baselines").
* ``Banat``: GP-BO (Alg. 1) with the hierarchical WL kernel (``kernel: hwl``) or one WL kernel on the whole
  architecture (``kernel: wl``, BANAT (WL), as NAS-BOWL), expected improvement, and EI maximised by
  grammar-based evolution (App. H.3): a pool of 200, the 10 best evaluated terms plus random ones;
  tournament selection (a tournament of p_tour x pool = 40; assumption: the seed gives only
  p_tour = 0.2), then mutation with p_mut = 0.5 and crossover with p_cross = 0.5, half of them
  self-crossovers; 10 to 50 generations, stopping once the best EI has not improved for 5. 10 random
  initial terms (Alg. 1).

On NAS-Bench-201 the grammar is the cell-based one (``nb201-cell``); a term is looked up as its cell.
There the term has two levels and the folds add nothing: BANAT and BANAT (WL) are the same search, as
the cell-based columns of the seed's Table 3 show.
"""

from __future__ import annotations

import numpy as np

from nasrepro.grammar.grammars import cell_term_to_arch, get_grammar
from nasrepro.query.strategies.evolution import RegularizedEvolution

TERM_TO_ARCH = {"nb201-cell": cell_term_to_arch}


class _GrammarStrategy:
    """``grammar`` defaults to the space's (terms answered by training) or the cell-based NB201 grammar
    (terms looked up as NB201 cells)."""

    def __init__(self, space, rng: np.random.Generator, grammar: str | None = None):
        own = getattr(space, "grammar_name", None)
        grammar = grammar or own or "nb201-cell"
        if own is not None and grammar != own:
            raise ValueError(f"the query space searches grammar {own!r}, not {grammar!r}")
        if own is None and grammar not in TERM_TO_ARCH:
            raise ValueError(f"grammar {grammar!r} has no tabular benchmark to query; use one of "
                             f"{', '.join(TERM_TO_ARCH)}, or a query setting with benchmark: trained")
        self.space, self.rng, self.grammar = space, rng, get_grammar(grammar)
        self.to_arch = (lambda term: term) if own is not None else TERM_TO_ARCH[grammar]

    def query(self, oracle, term) -> float:
        return oracle(self.to_arch(term))


class GrammarRandomSearch(_GrammarStrategy):
    family = "rs"
    summary = "terms drawn from the grammar under the connectivity constraint"

    def run(self, oracle) -> None:
        while True:
            self.query(oracle, self.grammar.sample(self.rng))


class GrammarEvolution(_GrammarStrategy, RegularizedEvolution):
    """Regularised evolution (the loop of ``RegularizedEvolution``) over grammar terms."""

    family = "evolution"
    summary = "regularised evolution with grammar-based mutation"

    def __init__(self, space, rng: np.random.Generator, grammar: str | None = None, population: int = 30,
                 sample: int = 10):
        RegularizedEvolution.__init__(self, space, rng, population, sample)
        _GrammarStrategy.__init__(self, space, rng, grammar)

    def draw(self):
        return self.grammar.sample(self.rng)

    def mutate(self, member):
        return self.grammar.mutate(member, self.rng)

    def score(self, oracle, member) -> float:
        return self.query(oracle, member)


class Banat(_GrammarStrategy):
    family = "bo"
    summary = "GP-BO with the (hierarchical) WL kernel, EI maximised by grammar-based evolution"

    def __init__(self, space, rng: np.random.Generator, grammar: str | None = None, kernel: str = "hwl",
                 n_init: int = 10, pool: int = 200, elite: int = 10, p_mut: float = 0.5, p_cross: float = 0.5,
                 p_tour: float = 0.2, min_generations: int = 10, max_generations: int = 50, patience: int = 5):
        super().__init__(space, rng, grammar)
        if kernel not in ("hwl", "wl"):
            raise ValueError(f"BANAT kernel {kernel!r} unknown; use hwl or wl")
        self.hierarchical = kernel == "hwl"
        self.n_init, self.pool, self.elite = int(n_init), int(pool), int(elite)
        self.p_mut, self.p_cross, self.p_tour = float(p_mut), float(p_cross), float(p_tour)
        self.min_generations, self.max_generations, self.patience = int(min_generations), int(max_generations), int(patience)
        self.terms: list = []
        self.y: list[float] = []

    # ------------------------------------------------------------------ surrogate
    def _fit(self):
        from nasrepro.grammar.kernel import feature_matrix, term_features
        from nasrepro.query.surrogates import fit_gp_with_kernel, standardise_log
        from nasrepro.grammar.kernel import hwl_covariance

        self.depth = max(t.depth() for t in self.terms)
        feats = [term_features(t, self.hierarchical, self.depth) for t in self.terms]
        x, self.vocab, widths = feature_matrix(feats)
        y, _, _ = standardise_log(np.asarray(self.y))
        self.best_z = float(y.min())
        self.gp = fit_gp_with_kernel(x, y, hwl_covariance(widths))

    def _ei(self, terms) -> np.ndarray:
        from nasrepro.grammar.kernel import feature_matrix, term_features
        from nasrepro.query.surrogates import gp_log_expected_improvement

        x, _, _ = feature_matrix([term_features(t, self.hierarchical, self.depth) for t in terms], self.vocab)
        return gp_log_expected_improvement(self.gp, x, self.best_z)

    # ------------------------------------------------------------------ acquisition optimisation (App. H.3)
    def _propose(self, oracle):
        g, rng = self.grammar, self.rng
        order = np.argsort(self.y)
        pop = [self.terms[i] for i in order[: self.elite]]
        while len(pop) < self.pool:
            pop.append(g.sample(rng))
        fit = self._ei(pop)
        best, best_fit, stale = None, -np.inf, 0
        tour = max(2, int(round(self.p_tour * self.pool)))
        for gen in range(self.max_generations):
            for t, f in zip(pop, fit):
                if f > best_fit and not oracle.known(self.to_arch(t)):
                    best, best_fit, stale = t, float(f), -1
            stale += 1
            if gen + 1 >= self.min_generations and stale >= self.patience:
                break
            children = []
            while len(children) < self.pool:
                picks = rng.choice(len(pop), size=tour, replace=False)
                parent = pop[int(picks[int(np.argmax(fit[picks]))])]
                child = parent
                if rng.random() < self.p_mut:
                    child = g.mutate(child, rng)
                if rng.random() < self.p_cross:
                    if rng.random() < 0.5:
                        child, _ = g.crossover(child, None, rng)
                    else:
                        other = pop[int(rng.integers(len(pop)))]
                        child, _ = g.crossover(child, other, rng)
                children.append(child)
            pop, fit = children, self._ei(children)
        return best if best is not None else g.sample(rng)

    def run(self, oracle) -> None:
        for _ in range(self.n_init):
            t = self.grammar.sample(self.rng)
            self.terms.append(t)
            self.y.append(self.query(oracle, t))
        while True:
            self._fit()
            t = self._propose(oracle)
            self.terms.append(t)
            self.y.append(self.query(oracle, t))
