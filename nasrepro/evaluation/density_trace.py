"""Thesis Fig. 5.4 (``search.density_trace``): every architecture's mean functional distance to all
others after every epoch of a search (Eqs. 5.5 and 5.11; a low mean distance is a high density)."""

from __future__ import annotations

from typing import Callable

import pandas as pd

from nasrepro.errors import ConfigError

TRACE_KEY = "mean_distance"
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


def split_history(history: list[dict], name_of: Callable[[int], str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(trace rows: epoch, arch, mean distance; the history without the trace). The trace frame has its
    columns even when empty, so the workflow can always name it as an output."""
    trace = [{"epoch": h["epoch"], "arch": name_of(i), TRACE_KEY: d}
             for h in history for i, d in enumerate(h.get(TRACE_KEY, []))]
    rest = [{k: v for k, v in h.items() if k != TRACE_KEY} for h in history]
    return pd.DataFrame(trace, columns=["epoch", "arch", TRACE_KEY]), pd.DataFrame(rest)
