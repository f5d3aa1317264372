# ImageNet, MobileNet space (paper §5.4, Table 4 = thesis Table 3.4): search over a FLOPs-budget population,
# then the found network is retrained from scratch. Own rule names so profiles can give them day-long runtimes.
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
        summary=L.search("{space}", "{method}", "{seed}", "summary.json"),
    output:
        L.retrain("{space}", "{method}", "{seed}"),
    log:
        L.log("retrain", "{space}", "{method}", "{seed}"),
    benchmark:
        L.benchmark("retrain", "{space}", "{method}", "{seed}")
    shell:
        "nasrepro retrain --config-json {input.cfg} --space {wildcards.space} --summary {input.summary} "
        "--seed {wildcards.seed} --out {output} > {log} 2>&1"
