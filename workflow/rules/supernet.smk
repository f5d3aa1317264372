# Generic jobs for every search space: resolved config, stand-alone ground truth, warm-up supernet, search.
rule resolved_config:
    conda:
        "../envs/nasrepro.yaml"
    output:
        CONFIG_JSON,
    params:
        # the hash, not the multi-KB config: the job reruns when the config changes, and a failure
        # prints one line
        config_hash=CFG["config_hash"],
    log:
        L.log("resolved_config"),
    localrule: True
    run:
        nasconfig.write_resolved(CFG, output[0], log[0])


rule standalone:
    conda:
        "../envs/nasrepro.yaml"
    input:
        CONFIG_JSON,
    output:
        L.standalone("{space}", "{pack}", "{seed}"),
    wildcard_constraints:
        space=GENERIC_SPACE,
    log:
        L.log("standalone", "{space}", "{pack}", "{seed}"),
    benchmark:
        L.benchmark("standalone", "{space}", "{pack}", "{seed}")
    params:
        archs=standalone_archs_arg,
    shell:
        "nasrepro train-standalone --config-json {input} --space {wildcards.space} --arch {params.archs} "
        "--seed {wildcards.seed} --out {output} > {log} 2>&1"


rule warmup:
    conda:
        "../envs/nasrepro.yaml"
    # A warm-up heads the longest chain of jobs (warm-up, then every search of its setting): started late
    # behind short jobs it lengthens the whole run (the demo's NB201 warm-up began 7.5 min in).
    priority: 10
    input:
        CONFIG_JSON,
    output:
        outputs=L.warmup("{space}", "{seed}", "outputs.npz"),
        outputs_hv=L.warmup("{space}", "{seed}", "outputs_hv.npz"),
        snapshots=directory(L.warmup("{space}", "{seed}", "snapshots")),
        history=L.warmup("{space}", "{seed}", "history.csv"),
    wildcard_constraints:
        space=GENERIC_SPACE,
    log:
        L.log("warmup", "{space}", "{seed}"),
    benchmark:
        L.benchmark("warmup", "{space}", "{seed}")
    params:
        out_dir=subpath(output.outputs, parent=True),
    shell:
        "nasrepro warmup --config-json {input} --space {wildcards.space} --seed {wildcards.seed} "
        "--out-dir {params.out_dir} > {log} 2>&1"


rule search:
    conda:
        "../envs/nasrepro.yaml"
    input:
        unpack(search_inputs),
    output:
        summary=L.search("{space}", "{method}", "{seed}", "summary.json"),
        evals=L.search("{space}", "{method}", "{seed}", "arch_eval.csv"),
        history=L.search("{space}", "{method}", "{seed}", "history.csv"),
        # rows only where the setting asks for it (search.density_trace, thesis Fig. 5.4); a header otherwise
        density_trace=L.search("{space}", "{method}", "{seed}", "density_trace.csv"),
        # paths trained per architecture and epoch (thesis Fig. 4.2b)
        visits=L.search("{space}", "{method}", "{seed}", "visits.csv"),
    wildcard_constraints:
        space=GENERIC_SPACE,
    log:
        L.log("search", "{space}", "{method}", "{seed}"),
    benchmark:
        L.benchmark("search", "{space}", "{method}", "{seed}")
    params:
        out_dir=subpath(output.summary, parent=True),
        warmup=lambda wc, input: f"--warmup-outputs {input.warmup}" if "warmup" in input.keys() else "",
        trained=lambda wc, input: f"--trained-ground-truth {' '.join(input.trained)}" if "trained" in input.keys() else "",
        launch=launcher,
    shell:
        "{params.launch} search --config-json {input.cfg} --space {wildcards.space} --method {wildcards.method} "
        "--seed {wildcards.seed} --out-dir {params.out_dir} {params.warmup} {params.trained} > {log} 2>&1"
