"""Seed 003 Fig. 3: how well a GP with the hWL or WL kernel ranks unseen architectures.

Per trial (seeds 0..trials-1): draw ``train`` + ``test`` distinct cells from the cell-based NB201 grammar
(under the connectivity constraint), score them with the benchmark, fit the GP on growing prefixes of the
training set (``sizes``, drawn without replacement) and report Kendall's tau between the predicted mean
and the true error of the test cells, for three GP kernels: hWL, WL and NASBOT's OTMANN kernel
(``nasrepro.grammar.otmann``; its distances are computed once per trial for all train and test cells).
The seed ran this on hierarchical-space search data, which needs every candidate trained; on NB201
cells a term has two levels, so hWL has a single level and equals WL up to its scale: the two curves
coincide, and the figure says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nasrepro.evaluation.metrics import kendall_tau
from nasrepro.grammar.grammars import cell_term_to_arch, get_grammar
from nasrepro.grammar.kernel import feature_matrix, hwl_covariance, term_features
from nasrepro.grammar.otmann import distance_matrices, layers_of, nasbot_covariance
from nasrepro.grammar.terms import graph

KERNELS = ("hwl", "wl", "nasbot")


def draw_cells(n: int, rng: np.random.Generator) -> list:
    g = get_grammar("nb201-cell")
    seen: dict = {}
    while len(seen) < n:
        t = g.sample(rng)
        seen.setdefault(cell_term_to_arch(t), t)
    return list(seen.values())


def run_study(objective, trials: int, train: int, test: int, sizes, log=print) -> pd.DataFrame:
    from nasrepro.query.surrogates import fit_gp_with_kernel, gp_posterior_mean, standardise_log

    rows = []
    for trial in range(trials):
        rng = np.random.default_rng(trial)
        terms = draw_cells(train + test, rng)
        y = np.array([objective.error[objective.index[cell_term_to_arch(t)]] for t in terms])
        tr, te = terms[:train], terms[train:]
        for kernel in KERNELS:
            hier = kernel == "hwl"
            if kernel == "nasbot":
                d, d_norm = distance_matrices([layers_of(*graph(t)) for t in terms])
                index = np.arange(len(terms), dtype=np.float64)[:, None]
            for n in sizes:
                n = min(int(n), train)
                z, _, _ = standardise_log(y[:n])
                if kernel == "nasbot":  # the kernel reads the precomputed distances by cell index
                    gp = fit_gp_with_kernel(index[:n], z, nasbot_covariance(d, d_norm))
                    pred = gp_posterior_mean(gp, index[train:])
                else:
                    x, vocab, widths = feature_matrix([term_features(t, hier, 2) for t in tr[:n]])
                    gp = fit_gp_with_kernel(x, z, hwl_covariance(widths))
                    xt, _, _ = feature_matrix([term_features(t, hier, 2) for t in te], vocab)
                    pred = gp_posterior_mean(gp, xt)
                tau = kendall_tau(pred, y[train:])
                rows.append({"trial": trial, "kernel": kernel, "train_size": n, "kendall_tau": tau})
        log(f"trial {trial + 1}/{trials} done")
    frame = pd.DataFrame(rows)
    frame["metric"] = objective.metric
    return frame


__all__ = ["KERNELS", "draw_cells", "run_study"]
