# nasrepro: regenerate the tables and figures of the thesis and paper.
#   snakemake --cores 2 --config preset=demo          (embedded demo data, CPU, minutes)
#   snakemake --profile profiles/slurm --config preset=paper   (cluster, paper hyperparameters)
from snakemake.utils import min_version

min_version("8.10")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/supernet.smk"
include: "workflow/rules/pooling.smk"
include: "workflow/rules/nb_macro.smk"
include: "workflow/rules/nb201.smk"
include: "workflow/rules/chapter5.smk"
include: "workflow/rules/imagenet.smk"


rule all:
    input:
        ALL_TARGETS,
    default_target: True
