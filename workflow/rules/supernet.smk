# Generic jobs for every search space: resolved config, stand-alone ground truth, warm-up supernet, search.
rule resolved_config:
    conda:
        "../envs/nasrepro.yaml"
    output:
        CONFIG_JSON,
    params:
        cfg=json.dumps(CFG, sort_keys=True),
    log:
        f"{LOGS}/resolved_config.log",
    localrule: True
    shell:
        "nasrepro resolve-config --resolved {params.cfg:q} --out {output} > {log} 2>&1"


rule standalone:
    conda:
        "../envs/nasrepro.yaml"
    input:
        CONFIG_JSON,
    output:
        f"{RES}/{{space}}/standalone/pack{{pack}}_s{{seed}}.json",
    log:
        f"{LOGS}/{{space}}/standalone/pack{{pack}}_s{{seed}}.log",
    benchmark:
        f"{BENCH}/{{space}}/standalone/pack{{pack}}_s{{seed}}.tsv"
    params:
        archs=standalone_archs_arg,
    shell:
        "nasrepro train-standalone --config-json {input} --space {wildcards.space} --arch {params.archs} "
        "--seed {wildcards.seed} --out {output} > {log} 2>&1"


rule warmup:
    conda:
        "../envs/nasrepro.yaml"
    input:
        CONFIG_JSON,
    output:
        outputs=f"{RES}/{{space}}/warmup/s{{seed}}/outputs.npz",
        outputs_hv=f"{RES}/{{space}}/warmup/s{{seed}}/outputs_hv.npz",
        snapshots=directory(f"{RES}/{{space}}/warmup/s{{seed}}/snapshots"),
        history=f"{RES}/{{space}}/warmup/s{{seed}}/history.csv",
    wildcard_constraints:
        space=GENERIC_SPACE,
    log:
        f"{LOGS}/{{space}}/warmup/s{{seed}}.log",
    benchmark:
        f"{BENCH}/{{space}}/warmup/s{{seed}}.tsv"
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
        summary=f"{RES}/{{space}}/search/{{method}}/s{{seed}}/summary.json",
        evals=f"{RES}/{{space}}/search/{{method}}/s{{seed}}/arch_eval.csv",
        history=f"{RES}/{{space}}/search/{{method}}/s{{seed}}/history.csv",
        # rows only where the setting asks for it (search.density_trace, thesis Fig. 5.4); a header otherwise
        density_trace=f"{RES}/{{space}}/search/{{method}}/s{{seed}}/density_trace.csv",
    wildcard_constraints:
        space=GENERIC_SPACE,
    log:
        f"{LOGS}/{{space}}/search/{{method}}_s{{seed}}.log",
    benchmark:
        f"{BENCH}/{{space}}/search/{{method}}_s{{seed}}.tsv"
    params:
        out_dir=subpath(output.summary, parent=True),
        warmup=lambda wc, input: f"--warmup-outputs {input.warmup}" if "warmup" in input.keys() else "",
        trained=lambda wc, input: f"--trained-ground-truth {' '.join(input.trained)}" if "trained" in input.keys() else "",
        launch=launcher,
    shell:
        "{params.launch} search --config-json {input.cfg} --space {wildcards.space} --method {wildcards.method} "
        "--seed {wildcards.seed} --out-dir {params.out_dir} {params.warmup} {params.trained} > {log} 2>&1"
