# ImageNet, MobileNet space (paper §5.4, Table 4 = thesis Table 3.4): search over a FLOPs-budget population,
# then the found network is retrained from scratch. One setting per budget.
from nasrepro.reporting.builders import TABLE4_METHODS, TABLE4_SECTIONS as TABLE4_ALL_SECTIONS

TABLE4_SECTIONS = [s for s in TABLE4_ALL_SECTIONS if space_cfg(s)]


use rule warmup as warmup_imagenet with:
    wildcard_constraints:
        space=IMAGENET_SPACE,


use rule search as search_imagenet with:
    wildcard_constraints:
        space=IMAGENET_SPACE,


rule retrain:
    conda:
        "../envs/nasrepro.yaml"
    input:
        cfg=CONFIG_JSON,
        summary=f"{RES}/{{space}}/search/{{method}}/s{{seed}}/summary.json",
    output:
        f"{RES}/{{space}}/retrain/{{method}}_s{{seed}}.json",
    log:
        f"{LOGS}/{{space}}/retrain/{{method}}_s{{seed}}.log",
    benchmark:
        f"{BENCH}/{{space}}/retrain/{{method}}_s{{seed}}.tsv"
    shell:
        "nasrepro retrain --config-json {input.cfg} --space {wildcards.space} --summary {input.summary} "
        "--seed {wildcards.seed} --out {output} > {log} 2>&1"


rule table4:
    conda:
        "../envs/nasrepro.yaml"
    input:
        cfg=CONFIG_JSON,
        runs=table4_runs(TABLE4_SECTIONS, TABLE4_METHODS),
    output:
        report("tables/table4.csv", category="Tables", caption="../report/table.rst"),
    log:
        f"{LOGS}/tables/table4.log",
    shell:
        "nasrepro table table4 --config-json {input.cfg} --inputs {input.runs} --out {output} > {log} 2>&1"


if TABLE4_SECTIONS:
    ALL_TARGETS += ["tables/table4.csv"]
