# Shared definitions: the validated config, the run layout and wildcard constraints.
# Everything a rule needs to know about methods, tables and figures comes from the package
# (nasrepro.catalogue, nasrepro.layout, nasrepro.methods); these files only wire it to Snakemake.
import os

from nasrepro import catalogue
from nasrepro import config as nasconfig
from nasrepro import methods as nasmethods
from nasrepro.layout import Layout

CFG = nasconfig.resolve_workflow_config(config)  # schema + sampler options; one-line error on a typo
L = Layout.of(CFG)
PRESET = CFG["preset"]
CONFIG_JSON = L.config_json


# ImageNet settings get rules of their own (imagenet.smk) so that profiles can give them day-long runtimes.
# ImageNet settings (paper Table 4's budgets, thesis Table 5.5's mobilenet-ch5): own rule names, own resources
IMAGENET_SPACE = r"mobilenet-(imagenet-\d+|ch5)"
GENERIC_SPACE = r"(?!mobilenet-(imagenet-\d|ch5))[a-z0-9-]+"

wildcard_constraints:
    seed=r"\d+",
    pack=r"\d+",
    method=r"[a-z0-9-]+",
    space=r"[a-z0-9-]+",


def settings_to_run():
    """Settings of the jobs this invocation will run (all settings if Snakemake's DAG is not reachable)."""
    try:
        jobs = list(workflow.dag.needrun_jobs())
        # supernet jobs name their setting {space}; query jobs {setting}
        return {j.wildcards.get("space") or j.wildcards.get("setting") for j in jobs} - {None}
    except AttributeError:
        return None


JOB_SERVER = []


onstart:
    # Missing data stops the run before any job starts, with the config key to fix (not `snakemake -n`).
    nasconfig.check_data(CFG, settings_to_run())
    # Local runs without conda: one pre-warmed process forks every job (nasrepro.jobserver), so a job starts in
    # milliseconds instead of re-importing torch; cluster jobs and conda environments run as fresh processes.
    if config.get("job_server", True) and workflow.local_exec and not workflow.deployment_settings.deployment_method:
        from nasrepro import jobserver

        proc, path = jobserver.start(L.log("job_server"))
        JOB_SERVER.append(proc)
        os.environ[jobserver.ENV] = path


def stop_job_server():
    from nasrepro import jobserver

    for proc in JOB_SERVER:
        jobserver.stop(proc)
    os.environ.pop(jobserver.ENV, None)


onsuccess:
    stop_job_server()


onerror:
    stop_job_server()


def standalone_archs_arg(wildcards):
    import shlex

    return " ".join(shlex.quote(a) for a in catalogue.standalone_packs(CFG, wildcards.space)[int(wildcards.pack)])


def search_inputs(wildcards):
    inputs = {"cfg": CONFIG_JSON}
    if CFG[wildcards.space].get("ground_truth") == "trained":
        inputs["trained"] = catalogue.standalone_runs(CFG, wildcards.space)
    if nasmethods.needs_warmup(CFG["methods"][wildcards.method]):
        inputs["warmup"] = L.warmup(wildcards.space, wildcards.seed)
    return inputs


def launcher(wildcards, resources):
    """`nasrepro`, or torchrun with one process per GPU when a profile gives the job ``nproc`` > 1."""
    nproc = int(getattr(resources, "nproc", 1) or 1)
    if nproc <= 1:
        return "nasrepro"
    return f"torchrun --standalone --nproc_per_node={nproc} -m nasrepro.cli"


# Query trials (query.smk) read the full-benchmark extract of their dataset when the setting names the file.
def query_inputs(wildcards):
    inputs = {"cfg": CONFIG_JSON}
    if CFG["query"][wildcards.setting].get("full_benchmark_path"):
        inputs["extract"] = L.query_extract(wildcards.setting, wildcards.dataset)
    return inputs
