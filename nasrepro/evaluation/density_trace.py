"""Per-epoch, per-architecture records of a search, split out of its history into their own tables:

* thesis Fig. 5.4 (``search.density_trace``): every architecture's mean functional distance to all
  others after every epoch (Eqs. 5.5 and 5.11; a low mean distance is a high density), ``density_trace.csv``;
* thesis Fig. 4.2(b): the paths trained per architecture in every epoch (always recorded by the trainer,
  only architectures trained in that epoch), ``visits.csv``; they sum to the run's ``path_steps``."""

from __future__ import annotations

from typing import Callable

import pandas as pd

from nasrepro.errors import ConfigError

TRACE_KEY = "mean_distance"
EPOCH_VISITS = "visits_in_epoch"  # history key: {architecture index: paths trained in the epoch}
MAX_TRACE_ARCHS = 10_000  # every epoch computes the outputs of every architecture


def density_trace_hook(scfg: dict, n: int) -> Callable | None:
    """The trainer's epoch hook that records the trace, on the fixed validation batch the density
    sampler uses; None when the setting does not ask for it."""
    from nasrepro.samplers.density import mean_cosine_distance

    if not scfg["search"].get("density_trace"):
        return None
    if n > MAX_TRACE_ARCHS:
        raise ConfigError(f"search.density_trace computes all {n:,} architectures every epoch; it is meant for "
                          f"spaces of at most {MAX_TRACE_ARCHS:,} (set it to false for this setting)")
    images = scfg.get("sampler", {}).get("batch_images")
    return lambda trainer: {TRACE_KEY: mean_cosine_distance(trainer.features(range(n), images)).tolist()}


def split_history(history: list[dict], name_of: Callable[[int], str]
                  ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(trace rows: epoch, arch, mean distance; visit rows: epoch, arch, visits; the history without
    either). The frames have their columns even when empty, so the workflow can always name them."""
    trace = [{"epoch": h["epoch"], "arch": name_of(i), TRACE_KEY: d}
             for h in history for i, d in enumerate(h.get(TRACE_KEY, []))]
    visits = [{"epoch": h["epoch"], "arch": name_of(int(i)), "visits": v}
              for h in history for i, v in h.get(EPOCH_VISITS, {}).items()]
    rest = [{k: v for k, v in h.items() if k not in (TRACE_KEY, EPOCH_VISITS)} for h in history]
    return (pd.DataFrame(trace, columns=["epoch", "arch", TRACE_KEY]),
            pd.DataFrame(visits, columns=["epoch", "arch", "visits"]), pd.DataFrame(rest))
