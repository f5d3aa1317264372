# Pooling benchmark (thesis Ch. 2-3, paper §5 and App. C): tables and figures.
POOL_SEEDS = space_cfg("pooling").get("seeds", [])
TABLE1_METHODS = ["uniform", "mcts", "boltzmann", "independent", "mcts-reg", "mcts-learned"]


rule thesis_table2_1:
    conda:
        "../envs/nasrepro.yaml"
    input:
        cfg=CONFIG_JSON,
        runs=standalone_runs("pooling"),
    output:
        report("tables/thesis_table2_1.csv", category="Tables", caption="../report/table.rst"),
    log:
        f"{LOGS}/tables/thesis_table2_1.log",
    shell:
        "nasrepro table thesis_table2_1 --config-json {input.cfg} --inputs {input.runs} --out {output} > {log} 2>&1"


rule pooling_uniform_tau:
    conda:
        "../envs/nasrepro.yaml"
    input:
        cfg=CONFIG_JSON,
        runs=search_files("pooling", ["uniform"], "summary.json"),
    output:
        report("tables/pooling_uniform_tau.csv", category="Tables", caption="../report/table.rst"),
    log:
        f"{LOGS}/tables/pooling_uniform_tau.log",
    shell:
        "nasrepro table pooling_uniform_tau --config-json {input.cfg} --inputs {input.runs} --out {output} > {log} 2>&1"


# Figures: each is a list of job outputs handed to `nasrepro figure NAME`.
POOLING_FIGURES = {
    "thesis_fig2_5": search_files("pooling", ["uniform"], "arch_eval.csv"),
    "fig3": search_files("pooling", ["mcts-accuracy", "mcts-learned"], "summary.json"),
    "fig5": search_files("pooling", ["mcts-learned-beta05", "mcts-learned-beta09", "mcts-learned", "mcts-learned-beta099"],
                         "summary.json"),
    "fig4": search_files("pooling", ["mcts-learned", "mcts", "mcts-random"], "history.csv")
    + search_files("pooling", ["mcts-learned", "mcts", "mcts-random"], "summary.json"),
    "fig6": search_files("pooling", ["uniform", "mcts", "mcts-reg", "mcts-learned"], "history.csv")
    + search_files("pooling", ["uniform", "mcts", "mcts-reg", "mcts-learned"], "summary.json")
    + search_files("pooling", ["mcts-learned-wu0", "mcts-learned-wu1", "mcts-learned-wu2"], "summary.json"),
    "fig7": [f"{RES}/pooling/warmup/s{POOL_SEEDS[0]}/outputs.npz"] if POOL_SEEDS else [],
    "fig8": [f"{RES}/pooling/warmup/s{POOL_SEEDS[0]}/outputs.npz"] if POOL_SEEDS else [],
}
if space_cfg("pooling-ch5"):  # thesis Fig. 5.3: uniform vs debiased supernet against density (Ch. 5 protocol)
    POOLING_FIGURES["thesis_fig5_3"] = first_seed_files("pooling-ch5", ["uniform", "debiased"],
                                                        ["arch_eval.csv", "summary.json"])
    # thesis Fig. 5.4: density after every epoch of the uniform supernet (search.density_trace)
    POOLING_FIGURES["thesis_fig5_4"] = first_seed_files("pooling-ch5", ["uniform"], ["density_trace.csv"])
    # thesis Fig. 5.5: debiasing temperatures (tau = 25, 5 = the setting's "debiased", 1, 0.5) against uniform
    POOLING_FIGURES["thesis_fig5_5"] = first_seed_files(
        "pooling-ch5", ["uniform", "debiased-t25", "debiased", "debiased-t1", "debiased-t05"],
        ["arch_eval.csv", "summary.json"])


rule pooling_figure:
    conda:
        "../envs/nasrepro.yaml"
    input:
        cfg=CONFIG_JSON,
        runs=lambda wc: POOLING_FIGURES[wc.figure],
    output:
        pdf=report("figures/{figure}.pdf", category="Figures", caption="../report/figure.rst"),
        png=report("figures/{figure}.png", category="Figures", caption="../report/figure.rst"),
    log:
        f"{LOGS}/figures/{{figure}}.log",
    wildcard_constraints:
        figure="|".join(POOLING_FIGURES),
    shell:
        "nasrepro figure {wildcards.figure} --config-json {input.cfg} --inputs {input.runs} "
        "--pdf {output.pdf} --png {output.png} > {log} 2>&1"


rule table1:
    conda:
        "../envs/nasrepro.yaml"
    input:
        cfg=CONFIG_JSON,
        runs=search_runs("pooling", TABLE1_METHODS),
    output:
        report("tables/table1.csv", category="Tables", caption="../report/table.rst"),
    log:
        f"{LOGS}/tables/table1.log",
    shell:
        "nasrepro table table1 --config-json {input.cfg} --inputs {input.runs} --out {output} > {log} 2>&1"


if space_cfg("pooling"):
    ALL_TARGETS += [
        "tables/thesis_table2_1.csv",
        "tables/pooling_uniform_tau.csv",
        *[f"figures/{f}.{ext}" for f in POOLING_FIGURES for ext in ("pdf", "png")],
        "tables/table1.csv",
    ]


# Paper ablations (App. C): each table is a list of methods of config.yaml. Tables 8, 10 and 11 also have a
# NAS-Bench-Macro column; its runs join when that space has a section in the preset (nb_macro.smk).
POOLING_ABLATIONS = {
    "table2": ["mcts-vector", "mcts-vector-w", "mcts-onehot", "mcts-onehot-w"],
    "table7": ["mcts-learned-ce", "mcts-learned-l2", "mcts-learned"],
    "table8": ["mcts-learned-lam001", "mcts-learned", "mcts-learned-lam1", "mcts-learned-lam2"],
    "table9": ["mcts-learned-single", "mcts-learned-complete", "mcts-learned", "mcts-learned-ward"],
    "table10": ["mcts-learned-vb512", "mcts-learned", "mcts-learned-hv"],
    # Thesis Ch. 4 reuses the Pooling runs (its Table 4.1 prints the same numbers as paper Table 1).
    "thesis_table4_1": ["uniform", "boltzmann", "mcts", "mcts-reg", "iterative-mcts"],
    "thesis_table4_3": ["uniform", "boltzmann", "mcts", "iterative-mcts"],
    "table11": ["mcts-learned-const", "mcts-learned", "mcts-learned-exp"],
}


rule pooling_ablation_table:
    conda:
        "../envs/nasrepro.yaml"
    input:
        cfg=CONFIG_JSON,
        runs=lambda wc: search_runs("pooling", POOLING_ABLATIONS[wc.table])
        + (search_runs("nb-macro", POOLING_ABLATIONS[wc.table]) if wc.table in ("table8", "table10", "table11") else []),
    output:
        report("tables/{table}.csv", category="Tables", caption="../report/table.rst"),
    log:
        f"{LOGS}/tables/{{table}}.log",
    wildcard_constraints:
        table="|".join(POOLING_ABLATIONS),
    shell:
        "nasrepro table {wildcards.table} --config-json {input.cfg} --inputs {input.runs} --out {output} > {log} 2>&1"


if space_cfg("pooling"):
    ALL_TARGETS += [f"tables/{t}.csv" for t in POOLING_ABLATIONS]
