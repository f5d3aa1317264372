"""Per-step sampler overhead (``nasrepro bench``): median microseconds of ``sample`` and ``update``.

The sampler is driven as in training: ``sample``, then ``update`` with a synthetic reward (a fixed
random accuracy per architecture plus mini-batch noise, in [0, 1]), with ``set_progress`` sweeping the
temperature schedule. The sampler's statistics are changed by the measurement: pass a fresh sampler
(or one restored from a copy of its ``state_dict``).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from nasrepro.samplers.base import Sampler


def measure_overhead(
    sampler: Sampler,
    steps: int = 2000,
    rng: np.random.Generator | None = None,
    warmup: int = 50,
) -> dict[str, Any]:
    """Run ``steps`` sample/update pairs and return median (and p90) microseconds per call."""
    rng = np.random.default_rng(0) if rng is None else rng
    steps = max(1, int(steps))
    n = sampler.population_size
    acc = rng.uniform(0.5, 0.95, size=n * sampler.weight_sets)  # a mixture draws (weight set, architecture) pairs
    noise = rng.normal(0.0, 0.02, size=steps + warmup)
    t_sample = np.empty(steps, dtype=np.float64)
    t_update = np.empty(steps, dtype=np.float64)
    clock = time.perf_counter_ns
    for s in range(steps + warmup):
        sampler.set_progress(s / max(steps + warmup - 1, 1))
        t0 = clock()
        i = sampler.sample(rng)
        t1 = clock()
        sampler.update(i, float(min(max(acc[i] + noise[s], 0.0), 1.0)))
        t2 = clock()
        if s >= warmup:
            t_sample[s - warmup] = (t1 - t0) / 1e3
            t_update[s - warmup] = (t2 - t1) / 1e3
    return {
        "sampler": getattr(sampler, "name", type(sampler).__name__),
        "population": int(n),
        "steps": steps,
        "sample_us": float(np.median(t_sample)),
        "update_us": float(np.median(t_update)),
        "sample_us_p90": float(np.percentile(t_sample, 90)),
        "update_us_p90": float(np.percentile(t_update, 90)),
    }


__all__ = ["measure_overhead"]
