# ImageNet, MobileNet space (paper §5.4, Table 4 = thesis Table 3.4): search over a FLOPs-budget population,
# then the found network is retrained from scratch. Own rule names so profiles can give them day-long runtimes.
use rule warmup as warmup_imagenet with:
    wildcard_constraints:
        space=IMAGENET_SPACE,


use rule search as search_imagenet with:
    wildcard_constraints:
        space=IMAGENET_SPACE,


# thesis Table 5.5's Random search: 120-epoch ImageNet trainings (one network per job in the paper preset)
use rule standalone as standalone_imagenet with:
    wildcard_constraints:
        space=IMAGENET_SPACE,


rule retrain:
    conda:
        "../envs/nasrepro.yaml"
    input:
        cfg=CONFIG_JSON,
        # the search whose network this seed retrains: the same seed, or the first one (setting key retrain.seeds)
        summary=lambda wc: L.search(catalogue.retrain_search_setting(CFG, wc.space), wc.method,
                                    catalogue.retrain_search_seed(CFG, wc.space, int(wc.seed))),
        evals=lambda wc: L.search(catalogue.retrain_search_setting(CFG, wc.space), wc.method,
                                  catalogue.retrain_search_seed(CFG, wc.space, int(wc.seed)), "arch_eval.csv"),
    output:
        L.retrain("{space}", "{method}", "{seed}"),
    log:
        L.log("retrain", "{space}", "{method}", "{seed}"),
    benchmark:
        L.benchmark("retrain", "{space}", "{method}", "{seed}")
    shell:
        "nasrepro retrain --config-json {input.cfg} --space {wildcards.space} --summary {input.summary} "
        "--seed {wildcards.seed} --out {output} > {log} 2>&1"


# The network another selection of the same search found (``--pick ea``: evolution with supernet shifting,
# thesis Table 5.5), beside the search's own choice.
rule retrain_pick:
    conda:
        "../envs/nasrepro.yaml"
    input:
        cfg=CONFIG_JSON,
        summary=lambda wc: L.search(catalogue.retrain_search_setting(CFG, wc.space), wc.method,
                                    catalogue.retrain_search_seed(CFG, wc.space, int(wc.seed))),
    output:
        L.retrain("{space}", "{method}", "{seed}", "{pick}"),
    wildcard_constraints:
        pick="ea",
    log:
        L.log("retrain", "{space}", "{method}", "{seed}", "{pick}"),
    benchmark:
        L.benchmark("retrain", "{space}", "{method}", "{seed}", "{pick}")
    shell:
        "nasrepro retrain --config-json {input.cfg} --space {wildcards.space} --summary {input.summary} "
        "--seed {wildcards.seed} --pick {wildcards.pick} --out {output} > {log} 2>&1"
