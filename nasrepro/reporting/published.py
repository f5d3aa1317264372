"""Values as printed in the seeds, for side-by-side comparison (../shared/reference/seed-tables.md).

Each table maps a method name of ``config/config.yaml`` to the printed fields, named like the
reproduced columns (``arch``, ``best_acc``, ``avg_acc``, ``std_acc``, ``best_rank``, ``avg_rank``,
``hours``, ``cophenetic_correlation``).
"""

from __future__ import annotations

FIELDS = ("arch", "best_acc", "avg_acc", "std_acc", "best_rank", "avg_rank", "hours")


def _rows(table: dict[str, tuple]) -> dict[str, dict]:
    return {m: {k: v for k, v in zip(FIELDS, values) if v is not None} for m, values in table.items()}


def _avg(table: dict[str, tuple[float, float]]) -> dict[str, dict]:
    return {m: {"avg_acc": a, "std_acc": s} for m, (a, s) in table.items()}


# Paper Table 1 = thesis Table 3.1 (Pooling, CIFAR-10); hours are GPU hours.
PAPER_TABLE1 = _rows({
    "default": ("[4,3,3]", 90.52, None, None, 15, None, None),
    "uniform": ("[4,3,3]", 90.52, 90.40, 0.08, 15, 17, 1.5),
    "mcts": ("[4,4,2]", 90.85, 90.57, 0.21, 12, 15.3, 2),
    "boltzmann": ("[3,5,2]", 90.88, 90.51, 0.12, 11, 15.3, 3),
    "independent": ("[3,5,2]", 90.88, 90.86, 0.01, 11, 11.7, 2),
    "mixtures": ("[5,3,2]", 91.55, 91.36, 0.27, 4, 5, 6),
    "mcts-reg": ("[6,1,3]", 91.78, 91.42, 0.11, 3, 3.6, 2),
    "mcts-learned": ("[6,2,2]", 91.83, 91.72, 0.12, 2, 3, 2),
    "best": ("[7,1,2]", 92.01, None, None, 1, None, None),
})

# Paper Table 3 = thesis Table 3.3 (NAS-Bench-Macro).
PAPER_TABLE3 = _rows({
    "boltzmann": ("[12220111]", 92.39, 92.30, 0.10, 406, 453, None),
    "independent": ("[22120211]", 92.44, 92.29, 0.21, 347, 412, None),
    "mcts": ("[22221210]", 92.74, 92.51, 0.18, 80, 246, None),
    "uniform": ("[21222220]", 92.79, 92.58, 0.20, 56, 197, None),
    # The paper reports each method with "the best reward": MCTS + Reg.'s row is Table 6's Default Tree +
    # Reg with the relative validation-accuracy reward (same arch, accuracy and ranks), so that run feeds it.
    "mcts-reg-rel-val-acc": ("[12222222]", 92.92, 92.67, 0.18, 21, 112, None),
    "mcts-learned": ("[22212220]", 93.13, 92.97, 0.12, 1, 6, None),
    "best": ("[22212220]", 93.13, None, None, 1, None, None),
})

# Paper Table 6 = thesis Table A I-2 (NAS-Bench-Macro rewards); keyed by the methods of config.yaml.
PAPER_TABLE6 = {
    m: {"arch": a, "best_acc": b, "best_rank": br, "avg_rank": ar}
    for m, (a, b, br, ar) in {
        "mcts-reg-rel-train-loss": ("[22121222]", 92.74, 85, 97),
        "mcts-learned-rel-train-loss": ("[22122220]", 92.78, 61, 67),
        "mcts-reg-abs-train-acc": ("[22121210]", 92.55, 227, 278),
        "mcts-learned-abs-train-acc": ("[22110222]", 92.56, 209, 301),
        "mcts-reg-rel-val-loss": ("[22222022]", 92.71, 98, 120),
        "mcts-learned-rel-val-loss": ("[21211220]", 92.76, 71, 95),
        "mcts-reg-rel-val-acc": ("[12222222]", 92.92, 21, 112),
        "mcts-learned-rel-val-acc": ("[22212200]", 92.94, 19, 67),
        "mcts-reg": ("[22221200]", 92.86, 34, 54),
        "mcts-learned": ("[22212220]", 93.13, 1, 6),
    }.items()
}

# The reward (metric/data/measure) each published row was made with: Table 6 prints it per row; Table 3's
# rows are the paper's default Eq. 4 reward (abs. validation accuracy) but for MCTS + Reg. (see above).
# A run with another reward cannot feed the row (``builders.method_table`` stops).
PAPER_TABLE6_REWARDS = {
    "mcts-reg-rel-train-loss": "rel/train/loss", "mcts-learned-rel-train-loss": "rel/train/loss",
    "mcts-reg-abs-train-acc": "abs/train/acc", "mcts-learned-abs-train-acc": "abs/train/acc",
    "mcts-reg-rel-val-loss": "rel/val/loss", "mcts-learned-rel-val-loss": "rel/val/loss",
    "mcts-reg-rel-val-acc": "rel/val/acc", "mcts-learned-rel-val-acc": "rel/val/acc",
    "mcts-reg": "abs/val/acc", "mcts-learned": "abs/val/acc",
}
PAPER_TABLE3_REWARDS = {**{m: "abs/val/acc" for m in ("boltzmann", "independent", "mcts", "uniform", "mcts-learned")},
                        "mcts-reg-rel-val-acc": "rel/val/acc"}

# Paper Table 2 = thesis Table 3.2 (Pooling, zero-cost encoding trees).
PAPER_TABLE2 = _rows({
    "mcts-vector": ("[2,5,3]", 90.89, 90.63, 0.68, None, None, None),
    "mcts-vector-w": ("[3,4,3]", 90.92, 90.81, 0.15, None, None, None),
    "mcts-onehot": ("[5,2,3]", 90.96, 90.60, 0.22, None, None, None),
    "mcts-onehot-w": ("[5,1,4]", 91.05, 90.78, 0.21, None, None, None),
})

# Paper Table 7 (Pooling, distance measures).
PAPER_TABLE7 = _rows({
    "mcts-learned-ce": ("[5,3,2]", 91.55, 91.20, 0.23, None, None, None),
    "mcts-learned-l2": ("[6,2,2]", 91.83, 91.52, 0.16, None, None, None),
    "mcts-learned": ("[6,2,2]", 91.83, 91.72, 0.12, None, None, None),
})

# Paper Table 8 (exploration factor lambda), both columns.
PAPER_TABLE8 = {
    **{("pooling", m): v for m, v in _avg({
        "mcts-learned-lam001": (89.08, 1.23), "mcts-learned": (91.72, 0.12),
        "mcts-learned-lam1": (91.10, 0.54), "mcts-learned-lam2": (90.65, 0.22)}).items()},
    **{("nb-macro", m): v for m, v in _avg({
        "mcts-learned-lam001": (89.27, 1.53), "mcts-learned": (92.97, 0.12),
        "mcts-learned-lam1": (92.91, 0.14), "mcts-learned-lam2": (92.69, 0.18)}).items()},
}

# Paper Table 9 (Pooling, linkage) with the cophenetic correlation coefficient.
PAPER_TABLE9 = {
    m: {"avg_acc": a, "std_acc": s, "cophenetic_correlation": c}
    for m, (a, s, c) in {
        "mcts-learned-single": (91.28, 0.39, 0.41), "mcts-learned-complete": (91.43, 0.34, 0.47),
        "mcts-learned": (91.72, 0.12, 0.73), "mcts-learned-ward": (91.78, 0.18, 0.67),
    }.items()
}

# Paper Table 10 (validation batch), both columns, with the distance variance over the three batches.
PAPER_TABLE10 = {
    (space, m): {"distance_var": dv, "avg_acc": a, "std_acc": sd}
    for space, rows in {
        "pooling": {"mcts-learned-vb512": (0.17, 91.46, 0.30), "mcts-learned": (0.12, 91.72, 0.12),
                    "mcts-learned-hv": (0.21, 91.02, 0.95)},
        "nb-macro": {"mcts-learned-vb512": (0.11, 92.94, 0.12), "mcts-learned": (0.05, 92.97, 0.12),
                     "mcts-learned-hv": (0.18, 92.37, 0.93)},
    }.items()
    for m, (dv, a, sd) in rows.items()
}

# Paper Table 11 (temperature schedule), both columns.
PAPER_TABLE11 = {
    **{("pooling", m): v for m, v in _avg({
        "mcts-learned-const": (91.00, 0.03), "mcts-learned": (91.72, 0.12), "mcts-learned-exp": (91.36, 0.62)}).items()},
    **{("nb-macro", m): v for m, v in _avg({
        "mcts-learned-const": (91.70, 0.77), "mcts-learned": (92.97, 0.12), "mcts-learned-exp": (92.68, 0.15)}).items()},
}

# Thesis Table 5.1: Kendall's tau of a uniformly trained supernet.
THESIS_TABLE5_1_TAU = {"pooling": {"uniform": 0.16}, "nb-macro": {"uniform": 0.72}}

# Thesis Table 4.2 (NAS-Bench-201, ImageNet16-120): best, average ± std and relative search time.
# Rows "taken from papers" in the thesis keep only their printed values.
THESIS_TABLE4_2 = {
    m: {k: v for k, v in zip(("best_acc", "avg_acc", "std_acc", "relative_search_time"), vals) if v is not None}
    for m, vals in {
        "darts": (None, 16.4, None, 3), "enas": (None, 16.3, None, 3.7), "rsps": (None, 31.1, None, 2.1),
        "gdas": (None, 41.8, None, 8), "naswot": (None, 38.3, None, None),
        "uniform": (31.2, 31.0, 0.2, 3.8), "boltzmann": (31.1, 30.8, 0.3, 4.5), "mcts": (41.7, 40.2, 0.4, 4.1),
        "mcts-reg": (41.7, 41.4, 0.2, 3.1), "iterative-mcts": (42.2, 41.9, 0.2, 3.1), "best": (47.3, None, None, None),
        # our first-order DARTS under the Chapter 4 protocol, beside the DARTS values the thesis quotes
        "darts-nb201": (None, 16.4, None, 3),
    }.items()
}

# Thesis Table 2.2 (weight-sharing variants, CIFAR-10): the "Mixtures (M)" and "Paths" columns as printed
# (DARTS prints 19,638 paths, the space has 3^9 = 19,683) and the found architecture's accuracy (Table 2.1's
# mean over 3 retrainings of that architecture). Keyed by (setting, method): SPOS is uniform in three settings.
THESIS_TABLE2_2 = {
    "default": {"arch": "[4,3,3]", "best_acc": 90.52},
    ("pooling-ch2-res-all", "darts"): {"weight_sets": 1, "paths": 19_638, "arch": "Figure 2.7 (a)", "best_acc": 89.23},
    ("pooling-ch2-res-all", "darts-ns-same"): {"weight_sets": 4, "paths": 19_638, "arch": "Figure 2.7 (b)", "best_acc": 89.85},
    ("pooling-ch2-res-all", "darts-ns-rnd"): {"weight_sets": 4, "paths": 19_638, "arch": "Figure 2.7 (b)", "best_acc": 90.03},
    ("pooling-ch2", "uniform"): {"weight_sets": 1, "paths": 36, "arch": "[3,3,4]", "best_acc": 90.61},
    ("pooling-ch2-res", "uniform"): {"weight_sets": 4, "paths": 36, "arch": "[4,2,4]", "best_acc": 90.34},
    ("pooling-ch2-res-all", "uniform"): {"weight_sets": 4, "paths": 19_683, "arch": "[4,2,4]", "best_acc": 90.34},
    ("pooling-ch2", "mixtures"): {"weight_sets": 4, "paths": 36, "arch": "[5,3,2]", "best_acc": 91.55},
}

# Thesis Table 2.3 (NAS methods, CIFAR-10): found architecture, its accuracy and GPU hours. The SPOS row is
# Table 2.2's "Not shared" SPOS run ([4,2,4], 90.34), so the pooling-ch2-res run feeds it.
THESIS_TABLE2_3 = {
    ("pooling-ch2-res-all", "darts-gaea"): {"arch": "Figure 2.7 (a)", "best_acc": 89.12, "hours": 12},
    ("pooling-ch2-res-all", "darts"): {"arch": "Figure 2.7 (a)", "best_acc": 89.23, "hours": 12},
    ("pooling-ch2", "bse-unif"): {"arch": "[1,6,3]", "best_acc": 90.13, "hours": 2.5},
    ("pooling-ch2-res", "uniform"): {"arch": "[4,2,4]", "best_acc": 90.34, "hours": 1.5},
    ("pooling-ch2", "mcts-ucb"): {"arch": "[4,2,4]", "best_acc": 90.34, "hours": 2.5},
    ("pooling-ch2", "bse"): {"arch": "[2,3,5]", "best_acc": 90.42, "hours": 2},
    "default": {"arch": "[4,3,3]", "best_acc": 90.52},
    ("pooling-ch2", "mcts-ucb-unif"): {"arch": "[4,4,2]", "best_acc": 90.85, "hours": 2.5},
    ("pooling-ch2", "mixtures"): {"arch": "[5,3,2]", "best_acc": 91.55, "hours": 6},
    "best": {"arch": "[7,1,2]", "best_acc": 92.01, "hours": 98},
}

# Thesis Table 4.1 (Pooling, CIFAR-10; Ch. 4). "Best" is printed as mean ± std of the best architecture.
THESIS_TABLE4_1 = {
    m: {k: v for k, v in zip(("best_acc", "avg_acc", "std_acc", "hours"), vals) if v is not None}
    for m, vals in {
        "default": (90.52, None, None, None), "darts": (89.23, None, None, 12), "gaea": (89.12, None, None, 12),
        "mixtures": (91.55, None, None, 6), "uniform": (90.52, 90.40, 0.08, 1.5), "boltzmann": (90.88, 90.51, 0.12, 3),
        "mcts": (90.85, 90.57, 0.21, 2), "mcts-reg": (91.78, 91.42, 0.11, 2), "iterative-mcts": (91.83, 91.81, 0.02, 2),
        "best": (92.02, None, None, None),
    }.items()
}

# Thesis Table 4.3: Kendall's tau among the 10 best architectures by ground truth.
THESIS_TABLE4_3 = {m: {"kendall_tau_top10": t} for m, t in
                   {"uniform": 0.14, "boltzmann": 0.11, "mcts": 0.32, "iterative-mcts": 0.41}.items()}

# Thesis Table 4.4 (NAS-Bench-201, ImageNet16-120): final accuracy of iterative MCTS when the tree is
# rebuilt from B validation mini-batches or from the Eq. 4.3 moving average (B = 3 is Table 4.2's 42.2).
THESIS_TABLE4_4 = {m: {"best_acc": v} for m, v in {"iterative-mcts-b1": 41.6, "iterative-mcts-b2": 42.1,
                                                    "iterative-mcts": 42.2, "iterative-mcts-ema": 40.5}.items()}

# Thesis Table 5.1 (CIFAR-10; Ch. 5 protocol): mean ground-truth accuracy of the supernet's top-1/5/10
# architectures, the accuracy BSE (Boltzmann search on the trained supernet) finds, and Kendall's tau.
_T51 = ("top1_gt_acc", "top5_gt_acc", "top10_gt_acc", "bse_acc", "kendall_tau")
THESIS_TABLE5_1 = {
    (space, m): dict(zip(_T51, vals))
    for space, rows in {
        "pooling-ch5": {"uniform": (90.51, 90.46, 90.54, 90.42, 0.16), "fairnas": (91.05, 90.63, 90.31, 91.70, 0.21),
                        "debiased": (91.83, 90.92, 90.59, 92.01, 0.34)},
        "nb-macro-ch5": {"uniform": (92.03, 91.72, 91.52, 92.09, 0.72), "fairnas": (92.47, 91.45, 91.22, 92.51, 0.72),
                         "debiased": (92.56, 92.02, 91.64, 93.13, 0.74)},
    }.items()
    for m, vals in rows.items()
}
THESIS_TABLE5_1.update({("pooling-ch5", "default"): {"top1_gt_acc": 90.52}, ("pooling-ch5", "best"): {"top1_gt_acc": 92.01},
                        ("nb-macro-ch5", "best"): {"top1_gt_acc": 93.13}})

# The paper-scale protocol behind the printed Chapter 5 rows (column ``published_protocol``, beside our
# ``run_protocol``): the thesis's settings as the paper preset encodes them (config/config.yaml cites each).
PUBLISHED_PROTOCOL = {
    "pooling-ch5": "thesis App. II.2: ResNet20 width 1, CIFAR-10 25,000 train / 25,000 val, 300 epochs x batch 512, "
                   "lr 0.1; tau over all 36 architectures",
    "nb-macro-ch5": "thesis App. II.2: width 1, CIFAR-10 25,000 train / 25,000 val, 50 epochs x batch 512, lr 0.1; "
                    "tau over all 6,561 architectures",
    "nb201": "thesis §4.4.4 / §5.4: NB201 skeleton C = 16, N = 5, 50/50 split of the training images, 50 epochs, "
             "lr 0.025; tau over all 15,625 cells",
}

# Thesis Table 5.2: representation used for the density (Top-1, Top-5 mean ± std, BSE).
THESIS_TABLE5_2 = {
    (space, m): dict(zip(("top1_gt_acc", "top5_gt_acc", "top5_gt_acc_std", "bse_acc"), vals))
    for space, rows in {
        "pooling-ch5": {"debiased-grad": (91.54, 91.37, 0.21, 91.77), "debiased-cka": (90.96, 90.81, 0.31, 91.04),
                        "debiased-enc": (90.52, 90.61, 0.27, 91.01), "debiased": (91.83, 91.59, 0.24, 92.01)},
        "nb-macro-ch5": {"debiased-grad": (92.68, 92.58, 0.11, 93.05), "debiased-cka": (92.39, 92.32, 0.09, 92.90),
                         "debiased-enc": (91.95, 90.59, 0.05, 92.02), "debiased": (92.56, 92.21, 0.16, 93.13)},
    }.items()
    for m, vals in rows.items()
}

# Thesis Table 5.3 (NAS-Bench-201): top-1 accuracy mean ± std and Kendall's tau per dataset, GPU hours.
THESIS_TABLE5_3 = {
    "uniform": {"cifar10_acc": 84.02, "cifar10_acc_std": 2.31, "cifar10_tau": 0.42, "cifar100_acc": 52.31,
                "cifar100_acc_std": 3.49, "cifar100_tau": 0.39, "imagenet16_acc": 28.14, "imagenet16_acc_std": 6.15,
                "imagenet16_tau": 0.49, "gpu_hours": 2.59},
    "fairnas": {"cifar10_acc": 87.33, "cifar10_acc_std": 0.89, "cifar10_tau": 0.53, "cifar100_acc": 54.07,
                "cifar100_acc_std": 2.45, "cifar100_tau": 0.49, "imagenet16_acc": 37.03, "imagenet16_acc_std": 1.96,
                "imagenet16_tau": 0.51, "gpu_hours": 2.64},
    "debiased-k100": {"cifar10_acc": 91.63, "cifar10_acc_std": 1.21, "cifar10_tau": 0.59, "cifar100_acc": 66.48,
                      "cifar100_acc_std": 2.08, "cifar100_tau": 0.58, "imagenet16_acc": 42.71,
                      "imagenet16_acc_std": 0.79, "imagenet16_tau": 0.63, "gpu_hours": 2.70},
    "best": {"cifar10_acc": 94.37, "cifar100_acc": 73.51, "imagenet16_acc": 47.31},
}

# Thesis Table 5.4 (NAS-Bench-201, CIFAR-10): prototypes K -> top-1 mean ± std, Pearson correlation of the
# prototype density with the fine-grained density.
# Thesis Table 4.5 (Cityscapes, Auto-DeepLab network level): best and average mIoU (%) of the retrained found
# networks, and the search cost in GPU-days ("~ 4" printed as 4).
THESIS_TABLE4_5 = {
    "uniform": {"best_miou": 53.11, "avg_miou": 50.42, "gpu_days": 4},
    "mcts-reg": {"best_miou": 75.32, "avg_miou": 73.1, "gpu_days": 3},
    "autodeeplab-s": {"best_miou": 76.91, "avg_miou": 76.73},
    "iterative-mcts": {"best_miou": 77.11, "avg_miou": 77.07, "gpu_days": 2.5},
}

# Thesis Table 5.5 (ImageNet, MobileNet space): top-1 / top-5 (%), FLOPs and params (M). Rows are keyed as the
# table builder names them: a training method for One-shot, "<method>.ea" for EA with shifting.
_T55 = ("top1", "top5", "macs_m", "params_m")
THESIS_TABLE5_5 = {m: dict(zip(_T55, v)) for m, v in {
    "mobilenetv2": (72.0, 91.0, 300, 3.4), "random-search": (70.27, 88.1, 300, 4.1),
    "uniform": (73.08, 91.8, 312, 3.2), "fairnas": (73.14, 91.9, 320, 4.0), "pada": (73.41, 92.0, 340, 4.8),
    "debiased-proto": (74.75, 92.2, 282, 4.2),
    "uniform.ea": (73.51, 92.0, 336, 4.8), "fairnas.ea": (73.65, 92.0, 324, 3.4), "pada.ea": (73.84, 92.1, 388, 4.9),
    "debiased-proto.ea": (75.10, 92.5, 332, 4.1),
}.items()}

THESIS_TABLE5_4 = {
    f"debiased-k{k}": {"avg_acc": acc, "std_acc": std, "density_pearson": r}
    for k, acc, std, r in ((5, 54.12, 5.16, 0.21), (50, 86.71, 4.36, 0.42), (100, 91.63, 1.21, 0.86),
                           (200, 91.52, 1.24, 0.88))
}

# Paper Table 4 (= thesis Table 3.4), ImageNet, MobileNet space: best top-1, FLOPs (M), params (M), GPU-days
# per budget section. Rows of other papers are quoted there too; ours are Uniform ... Ours.
_T4 = ("best_acc", "macs_m", "params_m", "gpu_days")
PAPER_TABLE4 = {
    (section, m): {k: v for k, v in zip(_T4, vals) if v is not None}
    for section, rows in {
        "mobilenet-imagenet-280": {
            "mobilenetv2": (72.0, 300, 3.4, None), "mnasnet-a1": (75.2, 312, 3.9, 288),
            "scarlet-c": (75.6, 280, 6.0, 10), "ofa": (76.0, 230, None, 50), "greedynas-c": (76.2, 284, 4.7, 7),
            "mctsnas-c": (76.3, 280, 4.9, 12), "bignas-s": (76.5, 242, None, 50),
            "uniform": (72.2, 277, 4.6, 5), "boltzmann": (73.1, 278, 4.7, 5), "mcts-reg": (76.0, 280, 4.9, 12),
            "mcts-learned": (76.7, 280, 4.9, 7)},
        "mobilenet-imagenet-330": {
            "proxyless-r": (74.6, 320, 4.0, 15), "dynas-fairnas": (75.8, 326, 4.1, 16.5),
            "dynas-spos": (75.9, 329, 3.9, 6.6), "dynas-few-shot": (76.0, 324, 4.0, 31),
            "spos": (76.2, 328, None, 13), "scarlet-b": (76.3, 326, 5.2, 22), "fairnas-c": (76.7, 325, 5.6, 11),
            "mctsnas-b": (76.9, 330, 6.3, 12),
            "uniform": (73.1, 319, 4.8, 6), "boltzmann": (73.8, 330, 6.3, 5), "mcts-reg": (76.8, 330, 6.3, 12),
            "mcts-learned": (77.4, 330, 6.2, 8)},
        # the table's bottom section: "other NAS methods outside the budget" (all quoted)
        "outside-budget": {
            "cars-a": (72.1, 430, 4.2, 0.4), "zico": (75.8, 488, None, 0.4), "mote-nas": (76.2, 387, None, 0.1),
            "gm-darts": (75.5, 574, 5.1, 2.7), "gm-proxyless": (76.6, 583, 5.2, 24.9), "pc-darts": (75.8, 597, 5.3, 3.8),
            "darts-plus": (76.1, 582, 5.1, 6.8), "pada": (77.3, 399, 5.3, 9), "ofa": (77.7, 406, None, 50)},
    }.items()
    for m, vals in rows.items()
}
# Quoted rows (label per (section, method)); "~" and ">" of the printed GPU-days are dropped above.
PAPER_TABLE4_QUOTED = {
    "mobilenet-imagenet-280": {"mobilenetv2": "MobileNetV2 (Sandler et al., 2018)", "mnasnet-a1": "MnasNet-A1 (Tan et al., 2019)",
                               "scarlet-c": "SCARLET-C (Chu et al., 2021a)", "ofa": "OFA (Cai et al., 2019)",
                               "greedynas-c": "GreedyNAS-C (You et al., 2020)", "mctsnas-c": "MCTS_NAS-C (Su et al., 2021a)",
                               "bignas-s": "BigNAS-S (Yu et al., 2020)"},
    "mobilenet-imagenet-330": {"proxyless-r": "Proxyless-R (Cai et al., 2018)",
                               "dynas-fairnas": "DYNAS-FairNAS (Jeon et al., 2025)", "dynas-spos": "DYNAS-SPOS (Jeon et al., 2025)",
                               "dynas-few-shot": "DYNAS-Few-Shot (Jeon et al., 2025)", "spos": "SPOS (Guo et al., 2020)",
                               "scarlet-b": "SCARLET-B (Chu et al., 2021a)",
                               "fairnas-c": "FairNAS-C (Chu et al., 2021b)", "mctsnas-b": "MCTS_NAS-B (Su et al., 2021a)"},
    "outside-budget": {"cars-a": "CARS-A (Yang et al., 2020)", "zico": "ZiCO (Li et al., 2023)",
                       "mote-nas": "MOTE-NAS (Zhang et al., 2024c)", "gm-darts": "GM + DARTS (Hu et al., 2022)",
                       "gm-proxyless": "GM + Proxyless (Hu et al., 2022)", "pc-darts": "PC-DARTS (Xu et al., 2019)",
                       "darts-plus": "DARTS+ (Liang et al., 2019)", "pada": "PA&DA (Lu et al., 2023)",
                       "ofa": "OFA (Cai et al., 2019)"},
}

# Paper Table 5 = thesis Table A I-1 (summary of the sampling methods): structure, tree kind, printed text.
_TABLE5 = {
    "uniform": ("Flat", None, "Uniform sampling of architectures"),
    "independent": ("Flat", None, "Nodes sampled independently"),
    "boltzmann": ("Flat", None, "Joint sampling of architectures"),
    "mixtures": ("Flat (partitioned)", None, "Uniform with multiple models (Roshtkhari et al., 2023)"),
    "mcts": ("Hierarchical", "default", "Conditional prob. (sec. 3, Tree Search)"),
    "mcts-reg": ("Hierarchical", "default", "Conditional prob. + regularization (Su et al., 2021a)"),
    "mcts-learned": ("Hierarchical", "learned", "Conditional prob. with learned tree (sec. 4)"),
}
PAPER_TABLE5 = {m: {"structure": s, "tree": t, "sampling_method": d} for m, (s, t, d) in _TABLE5.items()}
# The thesis prints the same rows with its own section numbers.
THESIS_TABLE_A1_1 = {m: dict(v) for m, v in PAPER_TABLE5.items()}
THESIS_TABLE_A1_1["mcts"]["sampling_method"] = "Conditional prob. ( section 3.3, Tree Search)"
THESIS_TABLE_A1_1["mcts-learned"]["sampling_method"] = "Conditional prob. with learned tree (section 3.4)"

# Thesis Table A II-1: MobileNetV2 macro-structure (No., Op., Input, Channels, Stride), one row per stage.
THESIS_TABLE_A2_1 = [
    (1, "3x3 conv", 224, 32, 2), (1, "MB1_K3", 112, 16, 1),
    (4, "choice", 112, 32, 2), (4, "choice", 56, 40, 2), (4, "choice", 28, 80, 2), (4, "choice", 14, 96, 1),
    (4, "choice", 14, 192, 2), (1, "choice", 7, 320, 1),
    (1, "1x1 conv", 7, 1280, 1), (1, "avg. pool", 7, None, None), (1, "fc", None, None, None),
]
# Thesis Table A II-2: block type -> (expansion ratio, kernel size, SE option).
THESIS_TABLE_A2_2 = {
    "MB1_K3": (1, 3, "-"), "ID": (None, None, "-"),
    "MB3_K3": (3, 3, "yes"), "MB3_K5": (3, 5, "yes"), "MB3_K7": (3, 7, "yes"),
    "MB6_K3": (6, 3, "yes"), "MB6_K5": (6, 5, "yes"), "MB6_K7": (6, 7, "yes"),
}
# Thesis Table A II-3: Kendall's tau and Spearman of the Chapter 5 supernets against the ground truth.
# Thesis Table A II-4 (Pooling, Ch. 5 protocol): Kendall's tau of the debiased supernet with the density from
# the inverse mean distance (Eqs. 5.5-5.6; = Table 5.1's Debiased 0.34) or from KDE (Eq. A II-2).
THESIS_TABLE_A2_4 = {
    ("pooling-ch5", "debiased"): {"kendall_tau": 0.34},
    ("pooling-ch5", "debiased-kde"): {"kendall_tau": 0.32},
}

THESIS_TABLE_A2_3 = {
    ("pooling-ch5", "uniform"): {"kendall_tau": 0.16, "spearman": 0.21},
    ("pooling-ch5", "debiased"): {"kendall_tau": 0.34, "spearman": 0.55},
    ("nb-macro-ch5", "uniform"): {"kendall_tau": 0.72, "spearman": 0.87},
    ("nb-macro-ch5", "debiased"): {"kendall_tau": 0.74, "spearman": 0.91},
}

# ------------------------------------------------------------------ ANASOD (seed 004), NAS-Bench-201 and NB301
# Columns as printed: NB201 CIFAR-10, CIFAR-100, ImageNet16 (= ImageNet16-120), NB301 CIFAR-10.
ANASOD_TASKS = ("cifar10", "cifar100", "ImageNet16-120", "nb301-cifar10")
# Table 1: SDs of the validation error in % (overall; median within an encoding; median across seeds).
ANASOD_TABLE1 = {
    "Overall": (9.5, 14, 10, 0.77),
    "Median (same encoding) - All encodings": (1.2, 2.4, 2.7, 0.25),
    "Median (same encoding) - Top 50%-performing": (0.84, 1.4, 1.9, 0.22),
    "Median (different seeds)": (0.19, 0.35, 0.36, 0.17),
}
# Table 2: best validation error (%) after 300 (RS, LS) or 150 (BO) queries, mean and standard error over 10
# trials; None where the table prints "*" (RL on NB301).
ANASOD_TABLE2 = {
    "rs": ((8.67, 0.03), (27.91, 0.17), (54.17, 0.10), (5.71, 0.02)),
    "anasod-rs": ((8.71, 0.05), (27.95, 0.20), (53.85, 0.12), (5.65, 0.04)),
    "anasod-biasedrs": ((8.48, 0.06), (27.35, 0.20), (53.30, 0.10), (5.47, 0.04)),
    "rl": ((8.91, 0.05), (28.15, 0.18), (54.45, 0.12), None),
    "re": ((8.86, 0.05), (28.40, 0.14), (54.28, 0.10), (5.62, 0.03)),
    "smac": ((8.89, 0.05), (27.80, 0.20), (53.64, 0.13), (5.45, 0.03)),
    "tpe": ((8.57, 0.04), (27.28, 0.14), (53.54, 0.14), (5.51, 0.02)),
    "gcnbo": ((8.84, 0.01), (27.93, 0.03), (53.46, 0.06), (5.54, 0.04)),
    "bananas": ((8.51, 0.08), (26.53, 0.02), (53.41, 0.04), (5.36, 0.05)),
    "nas-bowl": ((8.50, 0.09), (26.51, 0.00), (53.36, 0.04), (5.31, 0.06)),
    "anasod-bo": ((8.41, 0.05), (26.41, 0.02), (53.36, 0.10), (5.24, 0.02)),
}
ANASOD_TABLE2_LABELS = {"rl": "RL [55]", "re": "RE [33]", "smac": "SMAC [18]", "tpe": "TPE [3]",
                        "gcnbo": "GCNBO [37]", "bananas": "BANANAS [44]", "nas-bowl": "NAS-BOWL [35]"}
# Table 6: LS vs ANASOD-LS, best validation error (%) after 300 queries, mean and standard error over 10 trials.
ANASOD_TABLE6 = {
    "ls": ((8.34, 0.03), (26.41, 0.04), (53.43, 0.08), (5.79, 0.06)),
    "anasod-ls": ((8.36, 0.02), (26.38, 0.07), (53.07, 0.09), (5.43, 0.04)),
}

# ------------------------------------------------------------------ BANAT (seed 003), Table 3
# Test error (%) ± 1 standard error over the search seeds, per dataset and space ("cell" = cell-based NB201,
# "hier" = hierarchical NB201); reconstructed from the garbled extraction (reference/related-systems.md §2.5).
BANAT_TASKS = ("cifar10", "cifar100", "ImageNet16-120", "cifartile", "addnist")
BANAT_TABLE3 = {
    "resnet": {"cell": ((6.49, 0.24), (27.1, 0.67), (53.67, 0.18), (57.8, 0.57), (7.78, 0.05))},
    "efficientnet": {"cell": ((11.73, 0.1), (35.17, 0.42), (77.73, 0.29), (61.01, 0.62), (13.24, 0.58))},
    "oracle": {"cell": ((5.63, None), (26.49, None), (52.69, None), None, None)},
    "grammar-rs": {"cell": ((6.39, 0.18), (28.75, 0.57), (54.83, 0.78), (52.72, 0.45), (7.82, 0.36)),
                   "hier": ((6.77, 0.1), (29.49, 0.57), (54.7, 0.82), (40.93, 0.81), (8.05, 0.29))},
    "grammar-re": {"cell": ((5.76, 0.17), (27.68, 0.55), (53.92, 0.6), (52.79, 0.59), (7.69, 0.35)),
                   "hier": ((6.88, 0.24), (30.0, 0.32), (55.39, 0.54), (40.99, 2.89), (7.56, 0.69))},
    "banat-wl": {"cell": ((5.68, 0.11), (27.66, 0.18), (53.67, 0.39), (52.81, 0.27), (7.86, 0.41)),
                 "hier": ((6.98, 0.5), (28.7, 0.64), (53.47, 0.86), (35.75, 1.58), (8.2, 0.37))},
    "banat": {"cell": ((5.68, 0.11), (27.66, 0.18), (53.67, 0.39), (52.81, 0.27), (7.86, 0.41)),
              "hier": ((6.0, 0.16), (27.57, 0.46), (53.43, 0.61), (32.28, 2.39), (6.09, 0.34))},
    "banat-best": {"cell": ((5.64, 0.14), (27.03, 0.23), (53.54, 0.43), (53.18, 0.91), (8.04, 0.45)),
                   "hier": ((5.65, 0.09), (27.63, 0.2), (52.78, 0.23), (30.33, 0.77), (6.33, 0.59))},
}
BANAT_TABLE3_LABELS = {"resnet": "Best ResNet", "efficientnet": "Best EfficientNet",
                       "oracle": "NAS-Bench-201 oracle", "banat-best": "BANAT (best)"}
# §4 and the space-size check: log10 of the number of terms.
BANAT_SPACE_SIZES = {"hierarchical-nb201": 446.0, "nb201-cell": 4.18}

# Thesis Table 2.4 (non-NAS resizing methods vs ours; CIFAR10 ResNet18, CIFAR100 ResNet50): baseline (default
# pooling) and improved accuracy, mean ± std where printed, and the gap. Keyed (setting, row).
THESIS_TABLE2_4 = {
    ("pooling-r18-c10", "diffstride"): {"backbone": "ResNet18", "baseline_acc": 91.4, "baseline_std": 0.2,
                                        "improved_acc": 92.4, "improved_std": 0.1, "gap": 1.0},
    ("pooling-r18-c10", "mixtures"): {"backbone": "ResNet18", "baseline_acc": 90.45, "baseline_std": 0.21,
                                      "improved_acc": 91.51, "improved_std": 0.09, "gap": 1.06},
    ("pooling-r50-c100", "dynopool"): {"backbone": "ResNet50", "baseline_acc": 78.50, "improved_acc": 80.60, "gap": 2.1},
    ("pooling-r50-c100", "shapeadaptor"): {"backbone": "ResNet50", "baseline_acc": 78.50, "improved_acc": 80.29,
                                           "gap": 1.8},
    ("pooling-r50-c100", "mixtures"): {"backbone": "ResNet50", "baseline_acc": 77.57, "baseline_std": 0.18,
                                       "improved_acc": 79.61, "improved_std": 0.21, "gap": 2.04},
}
THESIS_TABLE2_4_QUOTED = {"diffstride": "DiffStride (Riad et al., 2022)", "dynopool": "DynOPool (Jang et al., 2022)",
                          "shapeadaptor": "ShapeAdaptor (Liu et al., 2020)"}

# Thesis Table 2.5 (ResNet50, Food101): the best architecture per M and its retrained accuracy (mean ± std).
THESIS_TABLE2_5 = {
    "default": {"arch": "[3,4,6,3]", "acc": 84.00, "acc_std": 0.10},
    "mixture-m1": {"arch": "[6,4,5,1]", "acc": 84.24, "acc_std": 0.09},
    "mixture-m2": {"arch": "[4,5,6,1]", "acc": 84.34, "acc_std": 0.18},
    "mixtures": {"arch": "[8,3,3,2]", "acc": 84.35, "acc_std": 0.14},
    "mixture-m8": {"arch": "[9,4,2,1]", "acc": 84.73, "acc_std": 0.09},
}

# Thesis Table 2.6 (ResNet18, ImageNet): top-1 architecture and accuracy, best and average of the top 3.
THESIS_TABLE2_6 = {
    "default": {"arch": "[2,2,2,2]", "top1_acc": 68.32, "top1_std": 0.24},
    "mixture-m1": {"arch": "[1,3,1,3]", "top1_acc": 62.21, "top1_std": 0.26, "top3_best": 65.91, "top3_best_std": 0.21,
                   "top3_avg": 63.51, "top3_avg_std": 1.56},
    "mixture-m2": {"arch": "[3,1,1,3]", "top1_acc": 62.56, "top1_std": 0.18, "top3_best": 68.32, "top3_best_std": 0.24,
                   "top3_avg": 64.70, "top3_avg_std": 2.57},
    "mixtures": {"arch": "[5,1,1,1]", "top1_acc": 65.88, "top1_std": 0.24, "top3_best": 66.12, "top3_best_std": 0.18,
                 "top3_avg": 64.73, "top3_avg_std": 1.78},
    "mixture-m8": {"arch": "[2,3,2,1]", "top1_acc": 64.81, "top1_std": 0.11, "top3_best": 66.12, "top3_best_std": 0.23,
                   "top3_avg": 64.15, "top3_avg_std": 2.98},
}

# Thesis Table 2.7 (search-space design): feature map sizes, searched layers, poolings and space size per
# backbone / dataset, keyed by our space of that row.
THESIS_TABLE2_7 = {
    "pooling": {"backbone": "ResNet20", "dataset": "CIFAR10", "feature_maps": "[32,16,8]", "layers": 10, "poolings": 2,
                "size": 36},
    "pooling-resnet18": {"backbone": "ResNet18", "dataset": "CIFAR10", "feature_maps": "[32,16,8,4]", "layers": 9,
                         "poolings": 3, "size": 56},
    "pooling-resnet50": {"backbone": "ResNet50", "dataset": "CIFAR100", "feature_maps": "[32,16,8,4]", "layers": 17,
                         "poolings": 3, "size": 560},
    "pooling-resnet50-224": {"backbone": "ResNet50", "dataset": "Food101", "feature_maps": "[56,28,14,7]", "layers": 16,
                             "poolings": 3, "size": 455},
    "pooling-resnet18-224": {"backbone": "ResNet18", "dataset": "ImageNet", "feature_maps": "[56,28,14,7]", "layers": 8,
                             "poolings": 3, "size": 35},
}

# ANASOD (seed 004) Table 3: one-shot NAS on NB201, searched on CIFAR-10 and transferred; error (%) mean ±
# standard error over trials, and the search epochs. Rows marked * / † in the seed are quoted from GAEA / NB201.
ANASOD_TABLE3 = {
    "optimal": {"cifar10": 5.70, "cifar100": 26.50, "imagenet16": 52.70},
    "rsps": {"search_epochs": 50, "cifar10": 12.34, "cifar10_se": 1.7, "cifar100": 41.67, "cifar100_se": 4.3,
             "imagenet16": 68.86, "imagenet16_se": 3.9},
    "darts-nb201": {"search_epochs": 50, "cifar10": 45.70, "cifar10_se": 0.0, "cifar100": 84.39, "cifar100_se": 0.0,
                    "imagenet16": 83.68, "imagenet16_se": 0.0},
    "setn": {"search_epochs": 50, "cifar10": 12.36, "cifar10_se": 0.0, "cifar100": 41.95, "cifar100_se": 0.2,
             "imagenet16": 67.48, "imagenet16_se": 0.2},
    "enas": {"search_epochs": 50, "cifar10": 45.70, "cifar10_se": 0.0, "cifar100": 84.97, "cifar100_se": 0.0,
             "imagenet16": 83.68, "imagenet16_se": 0.0},
    "gaea-darts": {"search_epochs": 25, "cifar10": 8.36, "cifar10_se": 2.6, "cifar100": 31.61, "cifar100_se": 4.5,
                   "imagenet16": 58.41, "imagenet16_se": 4.2},
    "anasod-dnas": {"search_epochs": 20, "cifar10": 7.75, "cifar10_se": 1.2, "cifar100": 31.33, "cifar100_se": 1.7,
                    "imagenet16": 58.00, "imagenet16_se": 2.9},
}
ANASOD_TABLE3_QUOTED = {"rsps": "RSPS* (Li & Talwalkar, 2020)", "setn": "SETN* (Dong & Yang, 2019a)",
                        "enas": "ENAS† (Pham et al., 2018)"}

# HEP-NAS (seed 002) Table 4: NB201 accuracies (%), mean ± std over 4 runs; valid / test per dataset.
_HEPNAS_T4_COLS = ("c10_valid", "c10_test", "c100_valid", "c100_test", "in16_valid", "in16_test")


def _hepnas_row(*pairs) -> dict:
    out = {}
    for col, pair in zip(_HEPNAS_T4_COLS, pairs):
        if pair is None:
            continue
        out[col], std = pair if isinstance(pair, tuple) else (pair, None)
        if std is not None:
            out[col + "_std"] = std
    return out


HEPNAS_TABLE4 = {
    "rea": _hepnas_row((91.25, 0.31), (94.02, 0.31), (72.28, 0.95), (72.23, 0.84), (45.71, 0.77), (45.77, 0.80)),
    "enas": _hepnas_row((39.77, 0.00), (54.30, 0.00), (10.23, 0.12), (10.62, 0.27), (16.43, 0.00), (16.32, 0.00)),
    "darts-nb201": _hepnas_row((39.77, 0.00), (54.30, 0.00), (38.57, 0.00), (38.97, 0.00), (18.87, 0.00), (18.41, 0.00)),
    "pc-darts": _hepnas_row((89.96, 0.15), (93.41, 0.30), (67.12, 0.39), (67.48, 0.89), (40.83, 0.08), (41.31, 0.22)),
    "uniform": _hepnas_row((88.40, 1.07), (92.24, 1.16), (67.8, 2.00), (68.0, 2.25), (39.28, 3.00), (40.28, 3.00)),
    "rsps": _hepnas_row((84.16, 1.69), (87.66, 2.69), (45.78, 6.33), (46.60, 6.57), (31.09, 5.65), (30.78, 6.12)),
    "cydas": _hepnas_row((91.12, 0.44), (94.02, 0.31), (72.12, 1.23), (71.92, 1.30), (40.09, 0.61), (45.51, 0.72)),
    "rd-nas": _hepnas_row((90.44, 0.27), (93.36, 0.04), (70.96, 2.12), (71.83, 1.33), (43.81, 0.09), (44.46, 1.58)),
    "ddpnas": _hepnas_row((90.12, 0.05), (93.56, 0.02), (70.78, 0.12), (70.91, 0.07), (44.89, 0.29), (46.13, 0.46)),
    "eg-nas": _hepnas_row((90.12, 0.05), (93.56, 0.02), (70.78, 0.12), (70.91, 0.07), (44.89, 0.29), (46.13, 0.46)),
    "oles": _hepnas_row((90.88, 0.10), (93.70, 0.15), (70.56, 0.28), (70.40, 0.22), (44.17, 0.49), (43.97, 0.38)),
    "few-shot-darts": _hepnas_row((84.70, 0.44), (88.55, 0.02), (70.17, 2.66), (70.16, 2.87), (31.16, 3.93), (30.09, 4.43)),
    "gm-darts": _hepnas_row((91.03, 0.24), (93.72, 0.12), (71.61, 0.62), (71.83, 0.97), (42.19, 0.00), (42.60, 0.00)),
    "hepnas": _hepnas_row((91.07, 0.39), (93.86, 0.21), (73.47, 0.66), (73.48, 0.55), (46.28, 0.33), (46.51, 0.35)),
    "optimal": _hepnas_row(91.61, 94.37, 73.49, 73.51, 46.73, 47.31),
}
HEPNAS_TABLE4_QUOTED = {
    "rea": "REA (Real et al. 2019)", "enas": "ENAS (Pham et al. 2018)", "pc-darts": "PC-DARTS (Xu et al. 2019)",
    "rsps": "RSPS (Li and Talwalkar 2020)", "cydas": "CyDAS (Yu et al. 2022)", "rd-nas": "RD-NAS (Dong et al. 2023)",
    "ddpnas": "DDPNAS (Zheng et al. 2023)", "eg-nas": "EG-NAS (Cai et al. 2024; printed identical to DDPNAS)",
    "oles": "OLES (Jiang et al. 2024)", "gm-darts": "GM DARTS (Hu et al. 2022)",
}


# ---------------------------------------------------------------------------------------------- HEP-NAS, DARTS space
# Seed 002 Tables 1-3: the column headed "Top-1 (%)" holds top-1 *error* (the text: "top-1 test error rate of 23.6%"
# on ImageNet, 97.56 % accuracy = 100 - 2.44 on CIFAR-10); "Cost (G.d)" is GPU-days. key -> (label, params M,
# error %, cost); None where the table prints "-".
_HEPNAS_SOTA = {
    "table1": [
        ("resnet", "ResNet (He et al. 2016)", 1.7, 4.61, None),
        ("densenet", "DenseNet (Huang et al. 2017)", 25.6, 3.46, None),
        ("proxylessnas", "ProxylessNAS (Cai, Zhu, and Han 2018)", 7.1, 2.08, 4.0),
        ("pc-darts", "PC-DARTS (Xu et al. 2019)", 3.6, 2.57, 0.1),
        ("p-darts", "P-DARTS (Chen et al. 2019)", 3.4, 2.50, 0.3),
        ("darts-", "DARTS- (Chu et al. 2020a)", 3.5, 2.50, 0.4),
        ("darts-pt", "DARTS-PT (Wang et al. 2021)", 3.0, 2.61, 0.8),
        ("ddpnas", "DDPNAS (Zheng et al. 2023)", 3.16, 2.59, 0.075),
        ("adarts", "ADARTS (Xue and Qin 2023)", 2.9, 3.70, 0.2),
        ("is-darts", "IS-DARTS (He et al. 2024)", 4.25, 2.56, 0.42),
        ("moea", "MOEA (Xue, Chen, and Slowik 2023)", 3.0, 2.77, 2.6),
        ("mixpath-c", "MixPath-c (Chu et al. 2023)", 5.4, 2.6, 0.25),
        ("eofga", "EOFGA (Yuan, Xue, and Zhang 2023)", 2.11, 2.59, 0.49),
        ("eaepso", "EAEPSO (Yuan et al. 2023)", 2.94, 2.74, 2.2),
        ("few-shot-darts", "few-shot DARTS (Zhao et al. 2021)", 3.6, 2.60, 1.1),
        ("gm-darts", "GM DARTS (Hu et al. 2022)", 3.7, 2.46, 1.1),
        ("hepnas-darts", "HEP-NAS", 3.6, 2.44, 1.5),
    ],
    "table2": [
        ("resnet", "ResNet (He et al. 2016)", 1.7, 22.10, None),
        ("densenet", "DenseNet (Huang et al. 2017)", 25.6, 17.18, None),
        ("shufflenet", "ShuffleNet (Zhang et al. 2018)", 1.06, 22.86, None),
        ("gdas", "GDAS (Dong and Yang 2019)", 3.4, 18.38, 0.2),
        ("p-darts", "P-DARTS (Chen et al. 2019)", 3.6, 17.20, 0.3),
        ("pc-darts", "PC-DARTS (Xu et al. 2019)", 4.0, 17.01, 0.1),
        ("darts-", "DARTS- (Chu et al. 2020a)", 3.3, 17.51, 0.4),
        ("adarts", "ADRATS [sic] (Xue and Qin 2023)", 2.9, 17.06, 0.2),
        ("oles", "OLES (Jiang et al. 2024)", 3.4, 17.30, 0.4),
        ("moea", "MOEA (Xue, Chen, and Slowik 2023)", 5.8, 18.97, 5.2),
        ("eofga", "EOFGA (Yuan, Xue, and Zhang 2023)", 2.18, 17.23, 0.94),
        ("eaepso", "EAEPSO (Yuan et al. 2023)", 2.94, 16.94, 2.2),
        ("few-shot-darts", "few-shot DARTS (Zhao et al. 2021)", 3.4, 18.59, 1.3),
        ("few-shot-snas", "few-shot SNAS (Zhao et al. 2021)", 3.3, 18.39, 1.3),
        ("hepnas-darts", "HEP-NAS", 3.6, 16.83, 1.6),
    ],
    "table3": [
        ("shufflenetv2", "ShuffleNetV2 (Ma et al. 2018)", 5, 25.1, None),
        ("mobilenetv3", "MobileNetV3 (Howard et al. 2019)", 7.4, 23.4, None),
        ("snas", "SNAS (Xie et al. 2018)", 4.3, 27.3, 1.5),
        ("proxylessnas", "ProxylessNAS† (Cai, Zhu, and Han 2018)", None, 24.9, 8.3),
        ("gdas", "GDAS (Dong and Yang 2019)", 5.3, 26.0, 0.3),
        ("p-darts", "P-DARTS (Chen et al. 2019)", None, 24.4, 0.3),
        ("pc-darts", "PC-DARTS† (Xu et al. 2019)", 5.3, 24.2, 3.8),
        ("darts-", "DARTS-† (Chu et al. 2020a)", 4.9, 23.8, 4.5),
        ("darts-pt", "DARTS-PT (Wang et al. 2021)", 4.6, 25.5, 0.8),
        ("oles", "OLES (Jiang et al. 2024)", 4.7, 24.5, 0.4),
        ("eaepso", "EAEPSO (Yuan et al. 2023)", 4.9, 26.9, 4.0),
        ("moea", "MOEA (Xue, Chen, and Slowik 2023)", 4.7, 26.4, 2.6),
        ("eofga", "EOFGA† (Yuan, Xue, and Zhang 2023)", 5.7, 24.4, 8.0),
        ("mixpath-a", "MixPath-A† (Chu et al. 2023)", 5.0, 23.1, 10.3),
        ("few-shot-proxyless", "few-shot Proxyless† (Zhao et al. 2021)", 4.9, 24.1, 11.7),
        ("gm-darts-2nd", "GM DARTS(2nd) (Hu et al. 2022)", 5.1, 24.5, 2.7),
        ("gm-proxyless", "GM Proxyless† (Hu et al. 2022)", 4.9, 23.4, 24.9),
        ("hepnas-darts", "HEP-NAS", 5.1, 23.6, 1.5),
    ],
}
HEPNAS_SOTA_LABELS = {t: {k: label for k, label, *_ in rows} for t, rows in _HEPNAS_SOTA.items()}
HEPNAS_SOTA = {t: {k: {f: v for f, v in (("params_m", p), ("error", e), ("gpu_days", c)) if v is not None}
                   for k, _, p, e, c in rows} for t, rows in _HEPNAS_SOTA.items()}

# Seed 002 Tables 5-8 (error %, GPU-days), keyed by our method names.
HEPNAS_TABLE5 = {"hepnas-darts-edge": {"error_c10": 2.86, "error_c100": 17.7, "gpu_days": 0.36},
                 "hepnas-darts-a": {"error_c10": 2.51, "error_c100": 17.08, "gpu_days": 0.8}}
HEPNAS_TABLE6 = {"hepnas-darts-random": {"error_c10": 2.63, "error_c100": 17.08, "gpu_days": 1.125},
                 "hepnas-darts-reverse": {"error_c10": 2.68, "error_c100": 17.17, "gpu_days": 1.4}}
HEPNAS_TABLE7 = {"hepnas-darts-a": {"error_c10": 2.51, "error_c100": 17.10},
                 "hepnas-darts-b": {"error_c10": 2.46, "error_c100": 17.10},
                 "hepnas-darts-c": {"error_c10": 2.44, "error_c100": 17.07},
                 "hepnas-darts": {"error_c10": 2.44, "error_c100": 16.83}}
HEPNAS_TABLE8 = {"hepnas-darts-h1": {"error_c100": 17.2, "gpu_days": 0.38},
                 "hepnas-darts-h2": {"error_c100": 16.88, "gpu_days": 0.46},
                 "hepnas-darts-h3": {"error_c100": 16.85, "gpu_days": 0.7}}
