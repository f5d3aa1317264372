# Thesis Ch. 5 (density-aware "debiased" sampling, strict fairness): Tables 5.1-5.4.
# Settings: pooling-ch5 / nb-macro-ch5 (Ch. 5 protocol), nb201-c10 / nb201-c100 / nb201 (NAS-Bench-201 datasets).
TABLE5_1 = {"pooling-ch5": ["uniform", "debiased"], "nb-macro-ch5": ["uniform", "fairnas", "debiased"]}
TABLE5_2 = {"pooling-ch5": ["debiased-enc", "debiased"], "nb-macro-ch5": ["debiased-enc", "debiased"]}
TABLE5_3_METHODS = ["uniform", "fairnas", "debiased-k100"]
TABLE5_4_METHODS = ["debiased-k5", "debiased-k50", "debiased-k100", "debiased-k200"]


rule thesis_table5_1:
    conda:
        "../envs/nasrepro.yaml"
    input:
        cfg=CONFIG_JSON,
        runs=runs_by_section(TABLE5_1),
    output:
        report("tables/thesis_table5_1.csv", category="Tables", caption="../report/table.rst"),
    log:
        f"{LOGS}/tables/thesis_table5_1.log",
    shell:
        "nasrepro table thesis_table5_1 --config-json {input.cfg} --inputs {input.runs} --out {output} > {log} 2>&1"


rule thesis_table5_2:
    conda:
        "../envs/nasrepro.yaml"
    input:
        cfg=CONFIG_JSON,
        runs=runs_by_section(TABLE5_2),
    output:
        report("tables/thesis_table5_2.csv", category="Tables", caption="../report/table.rst"),
    log:
        f"{LOGS}/tables/thesis_table5_2.log",
    shell:
        "nasrepro table thesis_table5_2 --config-json {input.cfg} --inputs {input.runs} --out {output} > {log} 2>&1"


rule thesis_table5_3:
    conda:
        "../envs/nasrepro.yaml"
    input:
        cfg=CONFIG_JSON,
        runs=table5_3_runs(TABLE5_3_METHODS),
    output:
        report("tables/thesis_table5_3.csv", category="Tables", caption="../report/table.rst"),
    log:
        f"{LOGS}/tables/thesis_table5_3.log",
    shell:
        "nasrepro table thesis_table5_3 --config-json {input.cfg} --inputs {input.runs} --out {output} > {log} 2>&1"


rule thesis_table5_4:
    conda:
        "../envs/nasrepro.yaml"
    input:
        cfg=CONFIG_JSON,
        runs=search_runs("nb201-c10", TABLE5_4_METHODS),
    output:
        report("tables/thesis_table5_4.csv", category="Tables", caption="../report/table.rst"),
    log:
        f"{LOGS}/tables/thesis_table5_4.log",
    shell:
        "nasrepro table thesis_table5_4 --config-json {input.cfg} --inputs {input.runs} --out {output} > {log} 2>&1"


if space_cfg("pooling-ch5") or space_cfg("nb-macro-ch5"):
    ALL_TARGETS += ["tables/thesis_table5_1.csv", "tables/thesis_table5_2.csv"]
if space_cfg("nb201-c10"):
    ALL_TARGETS += ["tables/thesis_table5_3.csv", "tables/thesis_table5_4.csv"]
