# nasrepro: regenerate the tables and figures of the thesis and paper.
#   snakemake --cores 2 --config preset=demo          (embedded demo data, CPU, minutes)
#   snakemake --profile profiles/slurm --config preset=paper   (cluster, paper hyperparameters)
from snakemake.utils import min_version

min_version("8.10")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/supernet.smk"
include: "workflow/rules/imagenet.smk"
include: "workflow/rules/query.smk"
include: "workflow/rules/reports.smk"


rule all:
    input:
        catalogue.targets(CFG),
    default_target: True
