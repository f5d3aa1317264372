"""``nasrepro arch``: everything known about one architecture."""

from __future__ import annotations

from nasrepro.benchmarks import BENCHMARKS, load_ground_truth
from nasrepro.errors import ConfigError
from nasrepro.flops import count_params_macs
from nasrepro.spaces import get_space


def describe_arch(space_name: str, text: str) -> dict:
    space = get_space(space_name)
    try:
        arch = space.parse(text)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    params, macs = count_params_macs(space.build_network(arch), getattr(space, "input_size", (1, 3, 32, 32)),
                                     linear_bias=space.macs_count_linear_bias)
    info = {"space": space_name, "arch": space.format(arch), "index": space.display_index(arch),
            "params": params, "macs": macs}
    if space_name not in BENCHMARKS:  # e.g. the ImageNet space has no tabular ground truth
        info.update({"gt_accuracy": None, "gt_rank": None, "gt_source": None})
    else:
        gt = load_ground_truth(space_name)
        info.update({"gt_accuracy": gt.accuracy_of(arch), "gt_rank": gt.rank_of(arch), "gt_source": gt.source})
    if space_name == "nb201":
        from nasrepro.benchmarks.nb201 import COMPACT_DATASETS, lookup

        per = lookup(arch)
        info.update({f"gt_{ds}": per[ds] for ds in COMPACT_DATASETS})
    try:
        table = space.cost_table()
    except NotImplementedError:  # cell spaces: no FLOPs budgets
        table = None
    if table is not None:
        from nasrepro.spaces.budget import PAPER_BUDGETS, estimate_macs

        est = float(estimate_macs(table, [arch])[0])
        info["budget_window"] = {f"{b / 1e6:g}M": 0.99 * b <= est <= b for b in PAPER_BUDGETS}
    if space.size() > 2**53:
        info["index"] = str(info["index"])  # e.g. MobileNet's base-13 index exceeds what JSON readers hold exactly
    return info
