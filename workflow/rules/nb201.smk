# NAS-Bench-201 (thesis Ch. 4, Table 4.2 baseline rows; the sampler family on the NB201 cell space).
TABLE4_2_METHODS = ["uniform", "boltzmann", "mcts", "mcts-reg", "mcts-learned", "iterative-mcts"]
TABLE4_4_METHODS = ["iterative-mcts-b1", "iterative-mcts-b2", "iterative-mcts", "iterative-mcts-ema"]


rule thesis_table4_2:
    conda:
        "../envs/nasrepro.yaml"
    input:
        cfg=CONFIG_JSON,
        runs=search_runs("nb201", TABLE4_2_METHODS),
    output:
        report("tables/thesis_table4_2.csv", category="Tables", caption="../report/table.rst"),
    log:
        f"{LOGS}/tables/thesis_table4_2.log",
    shell:
        "nasrepro table thesis_table4_2 --config-json {input.cfg} --inputs {input.runs} --out {output} > {log} 2>&1"


rule thesis_table4_4:
    conda:
        "../envs/nasrepro.yaml"
    input:
        cfg=CONFIG_JSON,
        runs=search_runs("nb201", TABLE4_4_METHODS),
    output:
        report("tables/thesis_table4_4.csv", category="Tables", caption="../report/table.rst"),
    log:
        f"{LOGS}/tables/thesis_table4_4.log",
    shell:
        "nasrepro table thesis_table4_4 --config-json {input.cfg} --inputs {input.runs} --out {output} > {log} 2>&1"


rule nb201_ground_truth_check:
    conda:
        "../envs/nasrepro.yaml"
    input:
        cfg=CONFIG_JSON,
        runs=standalone_runs("nb201"),
    output:
        report("tables/nb201_ground_truth_check.csv", category="Tables", caption="../report/table.rst"),
    log:
        f"{LOGS}/tables/nb201_ground_truth_check.log",
    shell:
        "nasrepro table nb201_ground_truth_check --config-json {input.cfg} --inputs {input.runs} --out {output} > {log} 2>&1"


if space_cfg("nb201"):
    ALL_TARGETS += ["tables/thesis_table4_2.csv", "tables/thesis_table4_4.csv", "tables/nb201_ground_truth_check.csv"]
