"""Full checks of the spaces against their benchmarks (slow; the tests check samples).

``verify_nb_macro`` builds the stand-alone network of every NAS-Bench-Macro key with
``NBMacroSpace.build_network`` and compares its parameters and multiply-accumulates
(``nasrepro.flops.count_params_macs`` at 3x32x32) with the ``params`` and ``flops`` of the benchmark
file. It also checks the alias structure: 3,969 distinct canonical networks, and every key carrying
exactly the record of its canonical network.
"""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Iterable, Sequence

__all__ = ["verify_nb_macro"]

MAX_LISTED = 50  # mismatches listed in full in the report


def _measure_nb_macro(keys: Sequence[str]) -> list[tuple[str, int, int]]:
    import torch

    from nasrepro.flops import count_params_macs
    from nasrepro.spaces.nb_macro import NBMacroSpace

    torch.set_num_threads(1)
    space = NBMacroSpace()
    out = []
    for key in keys:
        net = space.build_network(space.parse(key))
        params, macs = count_params_macs(net, (1, 3, 32, 32))
        out.append((key, params, macs))
    return out


def verify_nb_macro(workers: int = 2, keys: Iterable[str] | None = None) -> dict:
    """Params and FLOPs of every NAS-Bench-Macro key (or of ``keys``) against the benchmark JSON.

    Returns a dict: ``ok`` (no mismatch of any kind), ``keys_checked``, ``distinct_networks``,
    ``params_mismatches`` / ``flops_mismatches`` (counts), ``mismatches`` (up to 50 entries
    ``{key, params, expected_params, flops, expected_flops}``), ``alias_mismatches`` (keys whose
    record differs from their canonical network's), ``seconds`` and ``workers``.
    """
    from nasrepro.benchmarks.nb_macro import NUM_DISTINCT, load_records
    from nasrepro.spaces.nb_macro import NBMacroSpace, canonical

    t0 = time.perf_counter()
    records = load_records()
    space = NBMacroSpace()
    all_keys = [space.benchmark_key(a) for a in space.enumerate()]
    keys = all_keys if keys is None else [space.benchmark_key(space.parse(k)) for k in keys]
    unknown = [k for k in keys if k not in records]
    if unknown:
        raise KeyError(f"keys missing from the benchmark file: {unknown[:10]}")

    workers = max(1, int(workers))
    if workers == 1 or len(keys) < 64:
        measured = _measure_nb_macro(keys)
        workers = 1
    else:
        n_chunks = workers * 8
        chunks = [keys[i::n_chunks] for i in range(n_chunks)]
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            measured = [row for part in pool.map(_measure_nb_macro, chunks) for row in part]

    mismatches = []
    n_params = n_flops = 0
    for key, params, macs in sorted(measured):
        rec = records[key]
        bad_p, bad_f = params != rec["params"], macs != rec["flops"]
        n_params += bad_p
        n_flops += bad_f
        if (bad_p or bad_f) and len(mismatches) < MAX_LISTED:
            mismatches.append(
                {
                    "key": key,
                    "params": params,
                    "expected_params": rec["params"],
                    "flops": macs,
                    "expected_flops": rec["flops"],
                }
            )

    canon = {space.benchmark_key(canonical(space.parse(k))) for k in all_keys}
    alias_mismatches = [
        k for k in keys if records[k] != records[space.benchmark_key(canonical(space.parse(k)))]
    ]
    report = {
        "benchmark": "nb-macro",
        "keys_checked": len(measured),
        "distinct_networks": len(canon),
        "params_mismatches": int(n_params),
        "flops_mismatches": int(n_flops),
        "mismatches": mismatches,
        "alias_mismatches": alias_mismatches[:MAX_LISTED],
        "workers": workers,
    }
    report["ok"] = (
        n_params == 0 and n_flops == 0 and not alias_mismatches and len(canon) == NUM_DISTINCT
    )
    report["seconds"] = round(time.perf_counter() - t0, 1)
    return report


if __name__ == "__main__":  # pragma: no cover - `nasrepro verify-nb-macro` is the usual entry
    import json
    import sys

    result = verify_nb_macro(workers=int(sys.argv[1]) if len(sys.argv) > 1 else 2)
    print(json.dumps(result, indent=2))
    sys.exit(0 if result["ok"] else 1)
