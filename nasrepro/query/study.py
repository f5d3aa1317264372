"""How much the ANASOD encoding determines performance (seed 004 §3.1, Table 1 and Fig. 2).

Draw ``encodings`` random encodings (Dir(1) rounded onto the grid, Eq. 1; redrawn when already drawn or
when fewer than ``archs_per_encoding`` distinct cells have those counts: NAS-Bench-201's five one-operation
points have a single cell), then ``archs_per_encoding`` distinct cells from each (decoder 1), and look up
all of them. Reported, as standard deviations of the error in %:

* Overall: over every sampled cell;
* Median (same encoding), all encodings: the median over encodings of the SD among its cells;
* Median (same encoding), top 50 %: the same over the encodings whose mean error is in the better half;
* Median (different seeds): the median over the sampled cells of the SD of one cell across training seeds
  (only with per-seed values, i.e. the full benchmark).

SDs are population SDs (ddof = 0; the seed does not say, assumption).
"""

from __future__ import annotations

from math import factorial

import numpy as np

from nasrepro.query import anasod

STATISTICS = ("Overall", "Median (same encoding) - All encodings", "Median (same encoding) - Top 50%-performing",
              "Median (different seeds)")


def cells_with_counts(p) -> int:
    """Number of distinct cells whose operation counts are ``p`` (the multinomial coefficient)."""
    out = factorial(int(sum(p)))
    for c in p:
        out //= factorial(int(c))
    return out


def sample_study(objective, space, encodings: int, archs_per_encoding: int, seed: int) -> dict:
    """The sampled encodings, their cells' errors (encodings x cells) and the per-seed SDs."""
    rng = np.random.default_rng(seed)
    eligible = sum(1 for p in anasod.grid(space.n, space.k) if cells_with_counts(p) >= archs_per_encoding)
    if encodings > eligible:
        raise ValueError(f"only {eligible} encodings of this space hold {archs_per_encoding} distinct cells; "
                         f"asked for {encodings}")
    chosen: list[tuple[int, ...]] = []
    while len(chosen) < encodings:
        p = tuple(int(v) for v in anasod.round_to_grid(rng.dirichlet(np.ones(space.k)), space.n))
        if p not in chosen and cells_with_counts(p) >= archs_per_encoding:
            chosen.append(p)
    errors = np.empty((encodings, archs_per_encoding))
    seed_sd = np.full((encodings, archs_per_encoding), np.nan)
    cells = []
    for i, p in enumerate(chosen):
        row: list[tuple[int, ...]] = []
        while len(row) < archs_per_encoding:
            a = anasod.decode_shuffle(p, rng)
            if a not in row:
                row.append(a)
        cells.append(row)
        for j, a in enumerate(row):
            k = objective.index[a]
            errors[i, j] = objective.error[k]
            if objective.seed_errors is not None:
                vals = objective.seed_errors[k]
                vals = vals[~np.isnan(vals)]
                if len(vals) >= 2:
                    seed_sd[i, j] = float(np.std(vals))
    return {"encodings": chosen, "cells": cells, "errors": errors, "seed_sd": seed_sd}


def statistics(study: dict) -> dict[str, float]:
    errors = study["errors"]
    within = errors.std(axis=1)
    means = errors.mean(axis=1)
    top = means <= np.median(means)
    seed_sd = study["seed_sd"]
    return {
        STATISTICS[0]: float(errors.std()),
        STATISTICS[1]: float(np.median(within)),
        STATISTICS[2]: float(np.median(within[top])),
        STATISTICS[3]: float(np.nanmedian(seed_sd)) if np.any(~np.isnan(seed_sd)) else float("nan"),
    }


__all__ = ["STATISTICS", "cells_with_counts", "sample_study", "statistics"]
