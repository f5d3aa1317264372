# Query-based (black-box) search on tabular benchmarks (nasrepro.query): one job per
# (setting, strategy, dataset, trial), plus a one-time extract of the full NAS-Bench-201 file when configured.
rule query_search:
    conda:
        "../envs/nasrepro.yaml"
    input:
        unpack(query_inputs),
    output:
        summary=L.query("{setting}", "{strategy}", "{dataset}", "{trial}", "summary.json"),
        history=L.query("{setting}", "{strategy}", "{dataset}", "{trial}", "history.csv"),
    wildcard_constraints:
        setting="|".join(CFG["query"]) or "no-query-setting",
        strategy=r"[a-z0-9-]+",
        dataset=r"cifar10|cifar100|ImageNet16-120|imagenet16-120|demo-cifar10",
        trial=r"\d+",
    log:
        L.log("query", "{setting}", "{strategy}", "{dataset}", "{trial}"),
    benchmark:
        L.benchmark("query", "{setting}", "{strategy}", "{dataset}", "{trial}")
    params:
        out_dir=subpath(output.summary, parent=True),
        extract=lambda wc, input: f"--extract {input.extract}" if "extract" in input.keys() else "",
    shell:
        "nasrepro query-search --config-json {input.cfg} --setting {wildcards.setting} --strategy {wildcards.strategy} "
        "--dataset {wildcards.dataset} --trial {wildcards.trial} --out-dir {params.out_dir} {params.extract} > {log} 2>&1"


rule query_extract:
    conda:
        "../envs/nasrepro.yaml"
    input:
        lambda wc: CFG["query"][wc.setting]["full_benchmark_path"],
    output:
        L.query_extract("{setting}", "{dataset}"),
    wildcard_constraints:
        setting="|".join(CFG["query"]) or "no-query-setting",
        dataset=r"cifar10|cifar100|ImageNet16-120",
    log:
        L.log("extract", "{setting}", "{dataset}"),
    benchmark:
        L.benchmark("extract", "{setting}", "{dataset}")
    shell:
        "nasrepro query-extract --full-benchmark {input} --dataset {wildcards.dataset} --out {output} > {log} 2>&1"


rule surrogate_study:
    conda:
        "../envs/nasrepro.yaml"
    input:
        unpack(query_inputs),
    output:
        L.surrogate_study("{setting}", "{dataset}"),
    wildcard_constraints:
        setting="|".join(CFG["query"]) or "no-query-setting",
        dataset=r"cifar10|cifar100|ImageNet16-120",
    log:
        L.log("surrogate", "{setting}", "{dataset}"),
    benchmark:
        L.benchmark("surrogate", "{setting}", "{dataset}")
    params:
        extract=lambda wc, input: f"--extract {input.extract}" if "extract" in input.keys() else "",
    shell:
        "nasrepro surrogate-study --config-json {input.cfg} --setting {wildcards.setting} --dataset {wildcards.dataset} "
        "{params.extract} --out {output} > {log} 2>&1"
