"""The catalogue of every table and figure: one declaration per target.

Each ``Target`` names its output, its builder (with the row labels and published values it prints
beside ours) and the runs it needs: for each setting (a preset section), the methods and, through the
setting, the seeds. The workflow derives from it everything it needs: the inputs of one generic table
rule and one generic figure rule (``inputs``), and the ``all`` target (``targets``). Adding a table is
one entry here plus its builder in ``nasrepro.reporting``.

Needs, in the order their files are handed to the builder (rows follow that order):

- ``Runs(setting, methods)``: per method and seed the search summary and its benchmark file (plus the
  warm-up's benchmark file where the method's tree needs the warm-up, as it is charged for it), and the
  stand-alone records where the setting's ground truth is ``trained``;
- ``Files(setting, methods, name)``: one file of every (method, seed) search run;
- ``FirstSeed(setting, methods, names)``: files of the first seed's run of each method;
- ``WarmupFile(setting, name)``: a file of the first seed's warm-up;
- ``Standalone(setting)``: every stand-alone pack record;
- ``Retrains(setting, methods, pick)``: retrained networks and their benchmark files (paper Table 4; ``pick``
  another selection's network, thesis Table 5.5);
- ``Queries(setting, strategies, names)``: files of every (strategy, dataset, trial) of a query setting
  (``presets.<preset>.query``, ``nasrepro.query``);
- ``QueryExtracts(setting)``: the full-benchmark extracts of a query setting, when it names the file;
- ``SurrogateStudies(setting)``: the seed 003 Fig. 3 surrogate study of each dataset of a query setting.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, Union

from nasrepro.layout import Layout
from nasrepro.methods import needs_warmup
from nasrepro.reporting import banat_reports as br
from nasrepro.reporting import builders as b
from nasrepro.reporting import descriptive as d
from nasrepro.reporting import dnas_tables as dt
from nasrepro.reporting import figure_builders as fb
from nasrepro.reporting import hepnas_darts as hd
from nasrepro.reporting import published
from nasrepro.reporting import query_figures as qf
from nasrepro.reporting import query_tables as qt
from nasrepro.reporting import retrained_tables as rt


@dataclass(frozen=True)
class Runs:
    setting: str
    methods: tuple[str, ...]
    dataset: str | None = None  # Table 5.3: only when the setting runs this dataset (else the table says why)


@dataclass(frozen=True)
class Files:
    setting: str
    methods: tuple[str, ...]
    name: str


@dataclass(frozen=True)
class FirstSeed:
    setting: str
    methods: tuple[str, ...]
    names: tuple[str, ...]


@dataclass(frozen=True)
class WarmupFile:
    setting: str
    name: str = "outputs.npz"


@dataclass(frozen=True)
class Standalone:
    setting: str


@dataclass(frozen=True)
class Retrains:
    setting: str
    methods: tuple[str, ...]
    pick: str | None = None  # "ea": the network evolution with supernet shifting found (thesis Table 5.5)


@dataclass(frozen=True)
class Queries:
    setting: str
    methods: tuple[str, ...]  # query strategies (config ``strategies:``)
    names: tuple[str, ...] = ("summary.json",)


@dataclass(frozen=True)
class QueryExtracts:
    setting: str


@dataclass(frozen=True)
class SurrogateStudies:
    setting: str


Need = Union[Runs, Files, FirstSeed, WarmupFile, Standalone, Retrains, Queries, QueryExtracts, SurrogateStudies]


def run_methods(cfg: dict, setting: str, methods) -> tuple[str, ...]:
    """The methods of ``methods`` that the preset's section ``setting`` runs: all, unless the section lists
    its own ``methods`` (the laptop preset runs only Uniform); the tables' other rows say so."""
    only = (cfg.get(setting) or {}).get("methods")
    return tuple(methods) if only is None else tuple(m for m in methods if m in only)


def has_setting(cfg: dict, setting: str) -> bool:
    """Whether the resolved preset runs ``setting`` (a supernet section or a query setting)."""
    return bool(cfg.get(setting)) or bool((cfg.get("query") or {}).get(setting))


@dataclass(frozen=True)
class Target:
    name: str
    kind: str  # "table" or "figure"
    builder: Callable
    needs: tuple[Need, ...]
    # In ``all`` when the preset has any of these settings (default: the settings of ``needs``).
    requires: tuple[str, ...] = field(default=())

    def settings(self) -> tuple[str, ...]:
        return self.requires or tuple(dict.fromkeys(n.setting for n in self.needs))

    def outputs(self) -> list[str]:
        if self.kind == "table":
            return [f"tables/{self.name}.csv"]
        return [f"figures/{self.name}.{ext}" for ext in ("pdf", "png")]


# ---------------------------------------------------------------------------------------- methods
TABLE1_METHODS = ("uniform", "mcts", "boltzmann", "independent", "mcts-reg", "mcts-learned")
TABLE3_METHODS = ("boltzmann", "independent", "mcts", "uniform", "mcts-reg-rel-val-acc", "mcts-learned")
TABLE6_METHODS = (
    "mcts-reg-rel-train-loss", "mcts-learned-rel-train-loss",
    "mcts-reg-abs-train-acc", "mcts-learned-abs-train-acc",
    "mcts-reg-rel-val-loss", "mcts-learned-rel-val-loss",
    "mcts-reg-rel-val-acc", "mcts-learned-rel-val-acc",
    "mcts-reg", "mcts-learned",
)
TABLE4_2_METHODS = ("uniform", "boltzmann", "mcts", "mcts-reg", "mcts-learned", "iterative-mcts", "darts-nb201")
TABLE4_4_METHODS = ("iterative-mcts-b1", "iterative-mcts-b2", "iterative-mcts", "iterative-mcts-ema")
TABLE5_3_METHODS = ("uniform", "fairnas", "debiased-k100")
TABLE5_4_METHODS = ("debiased-k5", "debiased-k50", "debiased-k100", "debiased-k200")
# Thesis Fig. 2.5: balanced mixtures of M = 1, 2, 4, 8 supernets (M = 4 is the Mixtures row of the tables).
DARTS_METHODS = ("darts", "darts-ns-same", "darts-ns-rnd")
TABLE2_3_METHODS = ("bse-unif", "mcts-ucb", "bse", "mcts-ucb-unif", "mixtures")
FIG2_3_SETTINGS = ("pooling-ch2-early", "pooling-ch2-late", "pooling-ch2-pair")
MIXTURE_METHODS = ("mixture-m1", "mixture-m2", "mixtures", "mixture-m8")
CH2_PROTOCOL = {"pooling": "Chapter 3 run (paper App. B.1)",
                "pooling-ch2": "Chapter 2 run (thesis §2.4: lr 0.1 cosine, weight decay 1e-3, batch 256, epochs x M)"}
FIG4_2A_METHODS = ("iterative-mcts-m1", "iterative-mcts-m2", "iterative-mcts-m3", "iterative-mcts-m4")
FIG4_2B_METHODS = ("uniform", "boltzmann", "mcts", "iterative-mcts")
TABLE5_2_METHODS = ("debiased-grad", "debiased-cka", "debiased-enc", "debiased")  # thesis Table 5.2, printed order
FIG4_METHODS = ("mcts-learned", "mcts", "mcts-random")
# Paper Fig. 6(a): the lambda sweep of the text (seed 000, "small lambda (0.01, 0.1) ... larger values (0.5, 1.0)").
FIG6_METHODS = ("mcts-learned-lam001", "mcts-learned-lam01", "mcts-learned", "mcts-learned-lam1")
FIG6_WARMUPS = ("mcts-learned-wu0", "mcts-learned-wu1", "mcts-learned-wu2")
SAMPLING_LABELS = {"uniform": "Uniform", "independent": "Independent", "boltzmann": "Boltzmann", "mixtures": "Mixture",
                   "mcts": "MCTS", "mcts-reg": "MCTS + Reg.", "mcts-learned": "MCTS + Learned"}
FIG5_5_METHODS = ("uniform", "debiased-t25", "debiased", "debiased-t1", "debiased-t05")
# Seed 004 (ANASOD): computed rows of Table 2, Table 6, and the rows of panels of Figs. 3 and 6.
ANASOD_TABLE2_COMPUTED = ("rs", "anasod-rs", "anasod-biasedrs", "re", "tpe", "anasod-bo")
ANASOD_TABLE6_COMPUTED = ("ls", "anasod-ls")
ANASOD_FIG3_ROWS = (("RS", ("rs", "anasod-rs", "anasod-biasedrs")), ("GP-BO", ("adj-bo", "path-bo", "anasod-bo")),
                    ("NEP-BO", ("adj-nep", "path-nep", "anasod-nep")))
ANASOD_FIG6_ROWS = (("LS", ANASOD_TABLE6_COMPUTED),)
ANASOD = "anasod-nb201"
BANAT = br.SETTING
BANAT_HIER = br.HIER_SETTING


def _ablation(name: str, methods: tuple[str, ...], builder: Callable, nb_macro: bool = False) -> Target:
    """A paper App. C ablation over the Pooling runs; tables 8, 10 and 11 also have a NAS-Bench-Macro column."""
    needs = (Runs("pooling", methods),) + ((Runs("nb-macro", methods),) if nb_macro else ())
    return Target(name, "table", builder, needs, requires=("pooling",))


TARGETS: tuple[Target, ...] = (
    # ------------------------------------------------------------------ Pooling (thesis Ch. 2-3, paper §5)
    Target("thesis_table2_1", "table", b.thesis_table2_1, (Standalone("pooling"),), requires=("pooling",)),
    # Thesis Table 5.1's tau = 0.16 comes from the Chapter 5 protocol, so it is compared with that setting's run
    Target("pooling_uniform_tau", "table", b.pooling_uniform_tau, (Files("pooling-ch5", ("uniform",), "summary.json"),)),
    # Thesis Ch. 2: weight-sharing variants (Table 2.2), NAS methods (Table 2.3) and interference (Fig. 2.3).
    Target("thesis_table2_2", "table", b.ch2_table(
        published.THESIS_TABLE2_2,
        labels={("pooling-ch2", "uniform"): "SPOS, fully shared",
                ("pooling-ch2-res", "uniform"): "SPOS, not shared (36 paths)",
                ("pooling-ch2-res-all", "uniform"): "SPOS, not shared (all paths)",
                ("pooling-ch2", "mixtures"): "Balanced Mixtures (Ours)"},
        structure=True),
        (Runs("pooling-ch2", ("uniform", "mixtures")), Runs("pooling-ch2-res", ("uniform",)),
         Runs("pooling-ch2-res-all", ("uniform",) + DARTS_METHODS), Retrains("pooling-ch2-res-all", DARTS_METHODS)),
        requires=("pooling-ch2",)),
    Target("thesis_table2_3", "table", b.ch2_table(
        published.THESIS_TABLE2_3,
        labels={("pooling-ch2-res", "uniform"): "SPOS", ("pooling-ch2", "mixtures"): "Balanced Mixtures (Ours)",
                ("pooling-ch2-res-all", "darts"): "DARTS"}),
        (Runs("pooling-ch2-res-all", ("darts-gaea", "darts")), Retrains("pooling-ch2-res-all", ("darts-gaea", "darts")),
         Runs("pooling-ch2", TABLE2_3_METHODS), Runs("pooling-ch2-res", ("uniform",)), Standalone("pooling")),
        requires=("pooling-ch2",)),
    Target("thesis_fig2_7", "figure", fb.thesis_fig2_7, (Files("pooling-ch2-res-all", DARTS_METHODS + ("darts-gaea",),
                                                              "summary.json"),)),
    Target("thesis_fig2_3", "figure", fb.thesis_fig2_3,
           tuple(Files(setting, ("uniform",), "arch_eval.csv") for setting in FIG2_3_SETTINGS)),
    Target("thesis_fig2_5", "figure", fb.thesis_fig2_5, (Files("pooling-ch2", MIXTURE_METHODS, "arch_eval.csv"),)),
    # Thesis Tables 2.4-2.6: mixtures on the Table 2.7 spaces, judged by retraining the default and found networks
    Target("thesis_table2_4", "table", rt.thesis_table2_4,
           tuple(need for setting in rt.TABLE2_4_SETTINGS
                 for need in (Standalone(setting), Retrains(setting, ("mixtures",))))),
    Target("thesis_table2_5", "table", rt.thesis_table2_5,
           (Standalone(rt.TABLE2_5_SETTING), Retrains(rt.TABLE2_5_SETTING, rt.MIXTURE_METHODS))),
    Target("thesis_table2_6", "table", rt.thesis_table2_6,
           (Standalone(rt.TABLE2_6_SETTING), Retrains(rt.TABLE2_6_SETTING, rt.MIXTURE_METHODS))),
    Target("thesis_table2_7", "table", d.pooling_spaces(published.THESIS_TABLE2_7), (), requires=("pooling",)),
    Target("fig3", "figure", fb.fig3, (Files("pooling", ("mcts-accuracy", "mcts-learned"), "summary.json"),)),
    Target("fig5", "figure", fb.fig5, (Files("pooling", ("mcts-learned-beta05", "mcts-learned-beta09", "mcts-learned",
                                                          "mcts-learned-beta099"), "summary.json"),)),
    Target("fig4", "figure", fb.fig4, (Files("pooling", FIG4_METHODS, "history.csv"),
                                       Files("pooling", FIG4_METHODS, "summary.json"))),
    Target("fig6", "figure", fb.fig6, (Files("pooling", FIG6_METHODS, "history.csv"),
                                       Files("pooling", FIG6_METHODS, "summary.json"),
                                       Files("pooling", FIG6_WARMUPS, "summary.json"))),
    Target("fig7", "figure", fb.fig7, (WarmupFile("pooling"),)),
    Target("fig8", "figure", fb.fig8, (WarmupFile("pooling"),)),
    # Thesis Figs. 5.3-5.5: uniform vs debiased supernets against density, on the Ch. 5 Pooling protocol.
    Target("thesis_fig5_3", "figure", fb.thesis_fig5_3,
           (FirstSeed("pooling-ch5", ("uniform", "debiased"), ("arch_eval.csv", "summary.json")),)),
    Target("thesis_fig4_2", "figure", fb.thesis_fig4_2,
           (Files("pooling-ch4", FIG4_2A_METHODS, "summary.json"), Files("pooling-ch4", FIG4_2B_METHODS, "summary.json"),
            Files("pooling-ch4", FIG4_2B_METHODS, "visits.csv"), Files("pooling-ch4", FIG4_2B_METHODS, "arch_eval.csv"))),
    Target("thesis_fig5_1", "figure", fb.thesis_fig5_1,
           (FirstSeed("pooling-ch5", ("debiased-grad", "uniform"), ("arch_eval.csv",)),)),
    Target("thesis_fig5_2", "figure", fb.thesis_fig5_2,
           (FirstSeed("pooling-ch5", ("debiased-grad",), ("arch_eval.csv",)),
            FirstSeed("nb-macro-ch5", ("debiased-grad",), ("arch_eval.csv",)))),
    Target("thesis_fig5_4", "figure", fb.thesis_fig5_4, (FirstSeed("pooling-ch5", ("uniform",), ("density_trace.csv",)),)),
    Target("thesis_fig5_5", "figure", fb.thesis_fig5_5,
           (FirstSeed("pooling-ch5", FIG5_5_METHODS, ("arch_eval.csv", "summary.json")),)),
    # The Mixtures row is the M = 4 run of the Chapter 2 protocol (Tables 2.2/2.3 print the same [5,3,2], 91.55).
    Target("table1", "table", b.method_table("pooling", published.PAPER_TABLE1, "[4,3,3]", protocols=CH2_PROTOCOL),
           (Runs("pooling", TABLE1_METHODS), Runs("pooling-ch2", ("mixtures",))), requires=("pooling",)),
    _ablation("table2", ("mcts-vector", "mcts-vector-w", "mcts-onehot", "mcts-onehot-w"),
              b.method_table("pooling", published.PAPER_TABLE2, reference_rows=False)),
    _ablation("table7", ("mcts-learned-ce", "mcts-learned-l2", "mcts-learned"),
              b.method_table("pooling", published.PAPER_TABLE7, reference_rows=False, labels={"mcts-learned": "KL"})),
    _ablation("table8", ("mcts-learned-lam001", "mcts-learned", "mcts-learned-lam1", "mcts-learned-lam2"),
              b.method_table(None, published.PAPER_TABLE8, reference_rows=False, labels={"mcts-learned": "lambda 0.5"}),
              nb_macro=True),
    _ablation("table9", ("mcts-learned-single", "mcts-learned-complete", "mcts-learned", "mcts-learned-ward"),
              b.method_table("pooling", published.PAPER_TABLE9, reference_rows=False, labels={"mcts-learned": "Average"})),
    _ablation("table10", ("mcts-learned-vb512", "mcts-learned", "mcts-learned-hv"),
              b.method_table(None, published.PAPER_TABLE10, reference_rows=False,
                             labels={"mcts-learned": "Random Batch (1024)"}), nb_macro=True),
    # Thesis Ch. 4: Table 4.1 prints paper Table 1's values for the other methods, so those rows are the
    # Chapter 3 runs; Iterative MCTS runs under Chapter 4's own protocol (pooling-ch4, thesis §4.4.4).
    Target("thesis_table4_1", "table", b.method_table(
        "pooling", published.THESIS_TABLE4_1, "[4,3,3]",
        quoted={"darts": "DARTS (Liu et al., 2018b)", "gaea": "DARTS + GAEA (Li et al., 2020d)"},
        labels={"uniform": "Uniform Sampling", "boltzmann": "Boltzmann Sampling", "mcts": "MCTS-default",
                "mcts-reg": "MCTS-prioritized (Su et al., 2021a)", "mixtures": "Balanced Mixtures (Roshtkhari et al., 2023)"},
        protocols=b.CH4_PROTOCOLS),
        (Runs("pooling", ("uniform", "boltzmann", "mcts", "mcts-reg")), Runs("pooling-ch2", ("mixtures",)),
         Runs("pooling-ch4", ("iterative-mcts",))),
        requires=("pooling",)),
    Target("thesis_table4_3", "table", b.method_table(
        "pooling", published.THESIS_TABLE4_3, reference_rows=False,
        labels={"uniform": "Uniform Sampling", "boltzmann": "Boltzmann Sampling", "mcts": "MCTS-default"},
        protocols=b.CH4_PROTOCOLS),
        (Runs("pooling", ("uniform", "boltzmann", "mcts")), Runs("pooling-ch4", ("iterative-mcts",))),
        requires=("pooling",)),
    _ablation("table11", ("mcts-learned-const", "mcts-learned", "mcts-learned-exp"),
              b.method_table(None, published.PAPER_TABLE11, reference_rows=False, labels={"mcts-learned": "Linear"}),
              nb_macro=True),
    # ------------------------------------------------------------------ NAS-Bench-Macro (paper §5)
    Target("table3", "table", b.method_table("nb-macro", published.PAPER_TABLE3, labels={"mcts-reg-rel-val-acc": "MCTS + Reg."},
                                             rewards=published.PAPER_TABLE3_REWARDS), (Runs("nb-macro", TABLE3_METHODS),)),
    Target("table6", "table", b.with_reward_columns(b.method_table(
        "nb-macro", published.PAPER_TABLE6, reference_rows=False, rewards=published.PAPER_TABLE6_REWARDS,
        labels={"mcts-reg": "Default Tree + Reg", "mcts-learned": "Learned Tree (ours)"})),
        (Runs("nb-macro", TABLE6_METHODS),)),
    Target("nb_macro_ground_truth_check", "table", b.ground_truth_check("nb-macro"), (Standalone("nb-macro"),)),
    # ------------------------------------------------------------------ NAS-Bench-201 (thesis Ch. 4)
    Target("thesis_table4_2", "table", b.method_table(
        "nb201", published.THESIS_TABLE4_2,
        quoted={"darts": "DARTS (Liu et al., 2018b)", "enas": "ENAS (Pham et al., 2018)",
                "rsps": "RSPS (Li & Talwalkar, 2020)", "gdas": "GDAS (Dong & Yang, 2019b)",
                "naswot": "NASWOT (Mellor et al., 2021)"},
        labels={"uniform": "Uniform Sampling", "boltzmann": "Boltzmann Sampling", "mcts": "MCTS-default",
                "mcts-reg": "MCTS-prioritized (Su et al., 2021a)",
                "mcts-learned": "MCTS + Learned tree (paper; not printed in Table 4.2)",
                "darts-nb201": "DARTS, first order (ours, Chapter 4 protocol; beside the quoted DARTS values)"}),
        (Runs("nb201", TABLE4_2_METHODS),)),
    Target("thesis_table4_4", "table", b.method_table("nb201", published.THESIS_TABLE4_4, reference_rows=False,
                                                      labels={"iterative-mcts": "Validation Accuracy (B = 3)"}),
           (Runs("nb201", TABLE4_4_METHODS),)),
    Target("nb201_ground_truth_check", "table", b.ground_truth_check("nb201"), (Standalone("nb201"),)),
    # ------------------------------------------------------------------ thesis Ch. 5 (density-aware sampling)
    Target("thesis_table5_1", "table", b.method_table(
        None, published.THESIS_TABLE5_1, reference_rows=False, scale_protocols=True,
        labels={"uniform": "Uniform", "fairnas": "Strict fairness", "debiased": "Debiased (ours)"}),
        # Strict fairness on Pooling: every architecture once per 36-step window (samplers/fair.py, assumption)
        (Runs("pooling-ch5", ("uniform", "fairnas", "debiased")), Runs("nb-macro-ch5", ("uniform", "fairnas", "debiased")))),
    Target("thesis_table5_2", "table", b.method_table(
        None, published.THESIS_TABLE5_2, reference_rows=False, scale_protocols=True,
        labels={"debiased-grad": "Gradient", "debiased-cka": "Representational", "debiased-enc": "Encoding",
                "debiased": "Functional (ours)"}),
        (Runs("pooling-ch5", TABLE5_2_METHODS), Runs("nb-macro-ch5", TABLE5_2_METHODS))),
    Target("thesis_table5_3", "table", b.thesis_table5_3,
           tuple(Runs(section, TABLE5_3_METHODS, dataset) for _, section, dataset in b.TABLE5_3_COLUMNS),
           requires=("nb201-c10",)),
    Target("thesis_table5_4", "table", b.method_table("nb201-c10", published.THESIS_TABLE5_4, reference_rows=False),
           (Runs("nb201-c10", TABLE5_4_METHODS),)),
    # Thesis Table 4.5: Cityscapes (the demo: generated shapes) on Auto-DeepLab's trellis, found networks retrained
    Target("thesis_table4_5", "table", rt.thesis_table4_5,
           (Runs(rt.TABLE4_5_SETTING, rt.TABLE4_5_METHODS), Retrains(rt.TABLE4_5_SETTING, rt.TABLE4_5_METHODS))),
    # Thesis Table 5.5: ImageNet, MobileNet space; One-shot and EA-with-shifting networks retrained, and Random search
    Target("thesis_table5_5", "table", rt.thesis_table5_5,
           (Standalone(rt.TABLE5_5_SETTING), Retrains(rt.TABLE5_5_SETTING, rt.TABLE5_5_METHODS),
            Retrains(rt.TABLE5_5_SETTING, rt.TABLE5_5_METHODS, "ea"))),
    # Thesis App. II: correlations of the Ch. 5 supernets (Table A II-3; Pearson is ours, not printed) and
    # the uniform / debiased supernet estimates against the ground truth (Fig. A II-1, Pooling).
    Target("thesis_tableA2_3", "table", b.method_table(
        None, published.THESIS_TABLE_A2_3, reference_rows=False, labels={"debiased": "Debiased"}, scale_protocols=True),
        (Runs("pooling-ch5", ("uniform", "debiased")), Runs("nb-macro-ch5", ("uniform", "debiased")))),
    Target("thesis_tableA2_4", "table", b.method_table(
        None, published.THESIS_TABLE_A2_4, reference_rows=False, scale_protocols=True,
        labels={"debiased": "Inverse mean distance (eq. 5 + eq. 6)", "debiased-kde": "KDE (equation A II-2)"}),
        (Runs("pooling-ch5", ("debiased", "debiased-kde")),)),
    Target("thesis_figA2_1", "figure", fb.thesis_figA2_1, (FirstSeed("pooling-ch5", ("uniform", "debiased"),
                                                                     ("arch_eval.csv",)),)),
    # ------------------------------------------------------------------ descriptive tables, from the code
    Target("table5", "table", d.sampling_methods(published.PAPER_TABLE5, SAMPLING_LABELS), (), requires=("pooling",)),
    Target("thesis_tableA1_1", "table", d.sampling_methods(published.THESIS_TABLE_A1_1, SAMPLING_LABELS), (),
           requires=("pooling",)),
    Target("thesis_tableA2_1", "table", d.mobilenet_macro(published.THESIS_TABLE_A2_1), (),
           requires=("mobilenet-imagenet-280", "mobilenet-imagenet-330")),
    Target("thesis_tableA2_2", "table", d.mobilenet_ops(published.THESIS_TABLE_A2_2), (),
           requires=("mobilenet-imagenet-280", "mobilenet-imagenet-330")),
    # ------------------------------------------------------------------ ANASOD (seed 004): query-based search on NB201
    Target("anasod_table1", "table", qt.table1(ANASOD), (QueryExtracts(ANASOD),), requires=(ANASOD,)),
    Target("anasod_table2", "table", qt.search_table(published.ANASOD_TABLE2, ANASOD_TABLE2_COMPUTED, ANASOD,
                                                     published.ANASOD_TABLE2_LABELS),
           (Queries(ANASOD, ANASOD_TABLE2_COMPUTED),)),
    Target("anasod_table6", "table", qt.search_table(published.ANASOD_TABLE6, ANASOD_TABLE6_COMPUTED, ANASOD),
           (Queries(ANASOD, ANASOD_TABLE6_COMPUTED),)),
    Target("anasod_fig2", "figure", qf.fig2(ANASOD), (QueryExtracts(ANASOD),), requires=(ANASOD,)),
    Target("anasod_fig3", "figure", qf.curves_figure(ANASOD_FIG3_ROWS, "ANASOD Fig. 3: with and without ANASOD", ANASOD),
           (Queries(ANASOD, tuple(s for _, row in ANASOD_FIG3_ROWS for s in row), ("summary.json", "history.csv")),)),
    # ANASOD Table 3 / Fig. 5: differentiable NAS on NB201 (one setting per printed search-epoch count)
    Target("anasod_table3", "table", dt.anasod_table3,
           tuple(Runs(setting, (method,)) for method, setting in dt.DNAS_RUNS.items())),
    Target("anasod_fig5", "figure", dt.anasod_fig5, (Files("nb201-dnas", ("anasod-dnas",), "history.csv"),)),
    # HEP-NAS (seed 002) Table 4 and Fig. 3 on NB201
    Target("hepnas_table4", "table", dt.hepnas_table4,
           tuple(Runs(setting, (method,)) for method, settings in dt.HEPNAS_RUNS.items() for setting in settings
                 if setting is not None),
           requires=("nb201-hepnas",)),
    Target("hepnas_fig3", "figure", dt.hepnas_fig3, (Files("nb201-hepnas", ("hepnas",), "summary.json"),)),
    # HEP-NAS (seed 002) in the DARTS cell space: searches retrained as DARTS's evaluation network
    Target("hepnas_table1", "table", hd.sota_table("table1", hd.C10), (Runs(hd.C10, (hd.HEPNAS,)), Retrains(hd.C10, (hd.HEPNAS,)))),
    Target("hepnas_table2", "table", hd.sota_table("table2", hd.C100), (Runs(hd.C100, (hd.HEPNAS,)), Retrains(hd.C100, (hd.HEPNAS,)))),
    Target("hepnas_table3", "table", hd.sota_table("table3", hd.IMAGENET, hd.C10),
           (Runs(hd.C10, (hd.HEPNAS,)), Retrains(hd.IMAGENET, (hd.HEPNAS,)))),
    *(Target(f"hepnas_{key}", "table", hd.ablation_table(key),
             tuple(need for setting in dict.fromkeys(columns.values())
                   for need in (Runs(setting, methods), Retrains(setting, methods))),
             requires=(hd.C10, hd.C100))  # a preset without a column's setting still gets the table, saying so
      for key, (methods, columns) in hd.ABLATIONS.items()),
    Target("hepnas_fig2", "figure", hd.hepnas_fig2, (Runs(hd.C10, (hd.HEPNAS,)), Retrains(hd.IMAGENET, (hd.HEPNAS,)))),
    *(Target(f"hepnas_fig{n}", "figure", hd.cell_figure(setting, cell), (FirstSeed(setting, (hd.HEPNAS,), ("summary.json",)),))
      for n, setting, cell in ((4, hd.C10, "normal"), (5, hd.C10, "reduce"), (6, hd.C100, "normal"), (7, hd.C100, "reduce"))),
    Target("anasod_fig6", "figure", qf.curves_figure(ANASOD_FIG6_ROWS, "ANASOD Fig. 6: LS vs ANASOD-LS", ANASOD),
           (Queries(ANASOD, ANASOD_TABLE6_COMPUTED, ("summary.json", "history.csv")),)),
    # ------------------------------------------------------------------ BANAT (seed 003): the cell-based NB201 arm
    Target("banat_table3", "table", br.table3, (Queries(BANAT, br.SEARCHES), Queries(BANAT_HIER, br.SEARCHES))),
    Target("banat_space_size_check", "table", br.space_size_check, (), requires=(BANAT,)),
    Target("banat_fig2", "figure", br.fig2, (Queries(BANAT, br.SEARCHES, ("summary.json", "history.csv")),
                                             Queries(BANAT_HIER, br.SEARCHES, ("summary.json", "history.csv")))),
    Target("banat_fig3", "figure", br.fig3, (SurrogateStudies(BANAT),)),
    # ------------------------------------------------------------------ ImageNet (paper Table 4)
    Target("table4", "table", b.table4,
           tuple(need for section in b.TABLE4_SECTIONS
                 for need in (Runs(section, b.TABLE4_METHODS), Retrains(section, b.TABLE4_METHODS)))),
)

CATALOGUE: dict[str, Target] = {t.name: t for t in TARGETS}

# Thesis items printed identically to a paper item (same rows, same values): the workflow copies the
# paper target's output under the thesis name. Thesis Table 3.4 prints only a subset of paper Table 4's
# rows, so it is not an alias (README, "What it produces").
ALIASES: dict[str, str] = {
    "thesis_table3_1": "table1", "thesis_table3_2": "table2", "thesis_table3_3": "table3",
    "thesis_tableA1_2": "table6",
    "thesis_fig3_4": "fig3", "thesis_figA1_1": "fig7", "thesis_figA1_2": "fig8",
}


def alias_names(kind: str) -> list[str]:
    return [a for a, src in ALIASES.items() if CATALOGUE[src].kind == kind]


def alias_outputs(name: str) -> list[str]:
    """The files of alias ``name``, in the order of its source's ``outputs``."""
    return [out.replace(ALIASES[name], name, 1) for out in CATALOGUE[ALIASES[name]].outputs()]


def get(name: str, kind: str | None = None) -> Target:
    from nasrepro.errors import ConfigError

    target = CATALOGUE.get(name)
    if target is None or (kind is not None and target.kind != kind):
        known = sorted(t.name for t in TARGETS if kind is None or t.kind == kind)
        raise ConfigError(f"unknown {kind or 'target'} {name!r}; known: {', '.join(known)}")
    return target


def names(kind: str) -> list[str]:
    return [t.name for t in TARGETS if t.kind == kind]


# ---------------------------------------------------------------------------------------- inputs
def standalone_packs(cfg: dict, setting: str) -> list[list[str]]:
    """The setting's stand-alone architectures (default: all, by number; ``standalone_random``: that many uniform
    draws from the setting's budget window) in packs of ``standalone.pack``
    that train concurrently in one job (``nasrepro.training.packed``)."""
    from nasrepro.spaces import get_space

    scfg = cfg.get(setting) or {}
    space = get_space(scfg.get("space", setting))
    if scfg.get("standalone_random"):  # thesis Table 5.5 Random search: uniform draws from the budget window
        from nasrepro.spaces.population import random_feasible

        archs = [space.format(a) for a in random_feasible(scfg, space, int(scfg["standalone_random"]))]
    else:
        archs = scfg.get("standalone_archs") or [str(i) for i in range(1, space.size() + 1)]
    size = scfg.get("standalone", {}).get("pack", 8)
    return [archs[i: i + size] for i in range(0, len(archs), size)]


def standalone_runs(cfg: dict, setting: str) -> list[str]:
    layout = Layout.of(cfg)
    seeds = (cfg.get(setting) or {}).get("standalone", {}).get("seeds", [])
    if not seeds:
        return []
    return [layout.standalone(setting, p, s) for p in range(len(standalone_packs(cfg, setting))) for s in seeds]


def _seeds(cfg: dict, setting: str) -> list:
    return (cfg.get(setting) or {}).get("seeds", [])


def retrain_seeds(cfg: dict, setting: str) -> list:
    """Seeds of the setting's retrainings: ``retrain.seeds`` (each retrains what the first search seed found,
    thesis §2.3.6 "the mean and std of 3 runs"), else one retraining per search seed (paper Table 4)."""
    scfg = cfg.get(setting) or {}
    return list((scfg.get("retrain") or {}).get("seeds") or _seeds(cfg, setting))


def retrain_search_setting(cfg: dict, setting: str) -> str:
    """The setting whose searches ``setting`` retrains: ``retrain.search`` (a transfer, HEP-NAS Table 3), else itself."""
    return str(((cfg.get(setting) or {}).get("retrain") or {}).get("search") or setting)


def retrain_search_seed(cfg: dict, setting: str, seed: int) -> int:
    """The search seed whose found network retraining ``seed`` retrains (inverse of ``retrain_seeds``)."""
    scfg = cfg.get(setting) or {}
    if (scfg.get("retrain") or {}).get("seeds"):
        return int(_seeds(cfg, retrain_search_setting(cfg, setting))[0])
    return int(seed)


def search_runs(cfg: dict, setting: str, methods) -> list[str]:
    """``Runs``: summaries and benchmark files of every (method, seed); see the module docstring."""
    layout = Layout.of(cfg)
    files = []
    for m in methods:
        for s in _seeds(cfg, setting):
            files += [layout.search(setting, m, s), layout.benchmark("search", setting, m, s)]
            if needs_warmup(cfg["methods"][m]):
                files.append(layout.benchmark("warmup", setting, s))
    if (cfg.get(setting) or {}).get("ground_truth") == "trained":
        files += standalone_runs(cfg, setting)  # the reference rows (Default, Best) then come from them
    return list(dict.fromkeys(files))


def need_files(cfg: dict, need: Need) -> list[str]:
    layout = Layout.of(cfg)
    seeds = _seeds(cfg, need.setting)
    if isinstance(need, Runs):
        if not cfg.get(need.setting):
            return []
        if need.dataset is not None and b.table5_3_skip_reason(cfg, need.setting, need.dataset) is not None:
            return []
        return search_runs(cfg, need.setting, run_methods(cfg, need.setting, need.methods))
    if isinstance(need, Files):
        return [layout.search(need.setting, m, s, need.name) for m in run_methods(cfg, need.setting, need.methods)
                for s in seeds]
    if isinstance(need, FirstSeed):
        return [layout.search(need.setting, m, seeds[0], n) for m in run_methods(cfg, need.setting, need.methods)
                for n in need.names] if seeds else []
    if isinstance(need, WarmupFile):
        return [layout.warmup(need.setting, seeds[0], need.name)] if seeds else []
    if isinstance(need, Standalone):
        return standalone_runs(cfg, need.setting)
    if isinstance(need, Queries):
        q = (cfg.get("query") or {}).get(need.setting)
        if not q:
            return []
        run = q.get("strategies") or need.methods
        return [layout.query(need.setting, st, d, t, n) for st in need.methods if st in run for d in q["datasets"]
                for t in q["trials"] for n in need.names]
    if isinstance(need, QueryExtracts):
        q = (cfg.get("query") or {}).get(need.setting) or {}
        return [layout.query_extract(need.setting, d) for d in q["datasets"]] if q.get("full_benchmark_path") else []
    if isinstance(need, SurrogateStudies):
        q = (cfg.get("query") or {}).get(need.setting) or {}
        return [layout.surrogate_study(need.setting, d) for d in q.get("datasets", [])] if q.get("surrogate_study") else []
    if isinstance(need, Retrains):
        if not cfg.get(need.setting):
            return []
        return [f for m in run_methods(cfg, need.setting, need.methods) for s in retrain_seeds(cfg, need.setting)
                for f in (layout.retrain(need.setting, m, s, need.pick),
                          layout.benchmark("retrain", need.setting, m, s, need.pick))]
    raise TypeError(f"unknown need {need!r}")


def compared(cfg: dict, name: str, need: Need) -> Need:
    """``need`` with the methods the config's ``compare`` adds to target ``name`` (after the published ones)."""
    extra = tuple(m for m in cfg.get("compare", {}).get(name, []) if m not in getattr(need, "methods", ()))
    if not extra or not isinstance(need, (Runs, Files)):
        return need
    return replace(need, methods=need.methods + extra)


def inputs(cfg: dict, name: str) -> list[str]:
    """Every file the target's builder reads, in the order it reads them."""
    return [f for need in get(name).needs for f in need_files(cfg, compared(cfg, name, need))]


def runs_some_method(cfg: dict, target: Target) -> bool:
    """False for a target none of whose method rows the preset runs: its settings list ``methods`` that
    exclude every method the target needs (the laptop preset's Uniform-only sections)."""
    runs = [n for n in target.needs if isinstance(n, (Runs, Files, FirstSeed)) and cfg.get(n.setting)]
    return not runs or any(run_methods(cfg, n.setting, n.methods) for n in runs)


def targets(cfg: dict) -> list[str]:
    """Outputs of every target whose settings the preset has (the workflow's ``all``), then the aliases
    of those targets."""
    made = [t for t in TARGETS if any(has_setting(cfg, s) for s in t.settings()) and runs_some_method(cfg, t)]
    names = {t.name for t in made}
    return ([out for t in made for out in t.outputs()]
            + [out for a, src in ALIASES.items() if src in names for out in alias_outputs(a)])
