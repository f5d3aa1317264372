# Every table and figure of the documents: one generic rule each, driven by nasrepro.catalogue.
rule table:
    conda:
        "../envs/nasrepro.yaml"
    input:
        cfg=CONFIG_JSON,
        runs=lambda wc: catalogue.inputs(CFG, wc.name),
    output:
        report("tables/{name}.csv", category="Tables", caption="../report/table.rst"),
    log:
        L.log("table", "{name}"),
    wildcard_constraints:
        name="|".join(catalogue.names("table")),
    shell:
        "nasrepro table {wildcards.name} --config-json {input.cfg} --inputs {input.runs} --out {output} > {log} 2>&1"


rule figure:
    conda:
        "../envs/nasrepro.yaml"
    input:
        cfg=CONFIG_JSON,
        runs=lambda wc: catalogue.inputs(CFG, wc.name),
    output:
        pdf=report("figures/{name}.pdf", category="Figures", caption="../report/figure.rst"),
        png=report("figures/{name}.png", category="Figures", caption="../report/figure.rst"),
    log:
        L.log("figure", "{name}"),
    wildcard_constraints:
        name="|".join(catalogue.names("figure")),
    shell:
        "nasrepro figure {wildcards.name} --config-json {input.cfg} --inputs {input.runs} "
        "--pdf {output.pdf} --png {output.png} > {log} 2>&1"


# Thesis tables and figures printed identically to a paper one (catalogue.ALIASES): a copy, no job start-up.
localrules:
    alias_table,
    alias_figure,


rule alias_table:
    conda:
        "../envs/nasrepro.yaml"
    input:
        lambda wc: f"tables/{catalogue.ALIASES[wc.name]}.csv",
    output:
        report("tables/{name}.csv", category="Tables", caption="../report/table.rst"),
    log:
        L.log("table", "{name}"),
    wildcard_constraints:
        name="|".join(catalogue.alias_names("table")),
    shell:
        "cp {input} {output} 2> {log}"


rule alias_figure:
    conda:
        "../envs/nasrepro.yaml"
    input:
        pdf=lambda wc: f"figures/{catalogue.ALIASES[wc.name]}.pdf",
        png=lambda wc: f"figures/{catalogue.ALIASES[wc.name]}.png",
    output:
        pdf=report("figures/{name}.pdf", category="Figures", caption="../report/figure.rst"),
        png=report("figures/{name}.png", category="Figures", caption="../report/figure.rst"),
    log:
        L.log("figure", "{name}"),
    wildcard_constraints:
        name="|".join(catalogue.alias_names("figure")),
    shell:
        "(cp {input.pdf} {output.pdf} && cp {input.png} {output.png}) 2> {log}"
