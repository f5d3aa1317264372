# Shared definitions: the validated config, paths and wildcard constraints.
import json

from snakemake.utils import validate

from nasrepro import config as nasconfig

validate(config, "../schemas/config.schema.yaml")
CFG = nasconfig.resolve(config)
PRESET = CFG["preset"]
RES = f"{CFG['results_dir']}/{PRESET}"
LOGS = f"logs/{PRESET}"
BENCH = f"benchmarks/{PRESET}"
CONFIG_JSON = f"{RES}/config.json"
ALL_TARGETS = []


# ImageNet settings get rules of their own (imagenet.smk) so that profiles can give them day-long runtimes.
IMAGENET_SPACE = r"mobilenet-imagenet-\d+"
GENERIC_SPACE = r"(?!mobilenet-imagenet-)[a-z0-9-]+"

wildcard_constraints:
    seed=r"\d+",
    pack=r"\d+",
    method=r"[a-z0-9-]+",
    space=r"[a-z0-9-]+",


def method_needs_warmup(method):
    return CFG["methods"][method].get("tree") in ("learned", "accuracy")

def space_cfg(space):
    return CFG.get(space) or {}


def standalone_packs(space):
    """The configured architectures (default: all, by number), cut into packs of ``standalone.pack``
    that train concurrently in one job (``nasrepro.training.packed``)."""
    from nasrepro.spaces import get_space

    scfg = space_cfg(space)
    archs = scfg.get("standalone_archs") or [str(i) for i in range(1, get_space(scfg.get("space", space)).size() + 1)]
    size = scfg.get("standalone", {}).get("pack", 8)
    return [archs[i : i + size] for i in range(0, len(archs), size)]


def standalone_runs(space):
    """Stand-alone jobs: one per pack of architectures and seed."""
    seeds = space_cfg(space).get("standalone", {}).get("seeds", [])
    return [f"{RES}/{space}/standalone/pack{p}_s{s}.json" for p in range(len(standalone_packs(space))) for s in seeds]


def standalone_archs_arg(wildcards):
    import shlex

    return " ".join(shlex.quote(a) for a in standalone_packs(wildcards.space)[int(wildcards.pack)])


def search_runs(space, methods, with_benchmarks=True):
    """summary.json of every (method, seed), plus the benchmark files that time them."""
    files = []
    for m in methods:
        for s in space_cfg(space).get("seeds", []):
            files.append(f"{RES}/{space}/search/{m}/s{s}/summary.json")
            if with_benchmarks:
                files.append(f"{BENCH}/{space}/search/{m}_s{s}.tsv")
                if method_needs_warmup(m):
                    files.append(f"{BENCH}/{space}/warmup/s{s}.tsv")
    if space_cfg(space).get("ground_truth") == "trained":
        files += standalone_runs(space)  # the reference rows (Default, Best) then come from them
    return list(dict.fromkeys(files))  # table rows follow the order of ``methods``


def search_files(space, methods, name):
    return [f"{RES}/{space}/search/{m}/s{s}/{name}" for m in methods for s in space_cfg(space).get("seeds", [])]


def first_seed_files(space, methods, names):
    """Files of the first configured seed of each method (figures that show one run per method)."""
    seeds = space_cfg(space).get("seeds", [])
    return [f"{RES}/{space}/search/{m}/s{seeds[0]}/{n}" for m in methods for n in names] if seeds else []


def search_inputs(wildcards):
    inputs = {"cfg": CONFIG_JSON}
    if space_cfg(wildcards.space).get("ground_truth") == "trained":
        inputs["trained"] = standalone_runs(wildcards.space)
    if method_needs_warmup(wildcards.method):
        inputs["warmup"] = f"{RES}/{wildcards.space}/warmup/s{wildcards.seed}/outputs.npz"
    return inputs


def table5_3_runs(methods):
    """Runs of every NAS-Bench-201 dataset column this preset can fill (the table says why others are empty)."""
    from nasrepro.reporting.builders import TABLE5_3_COLUMNS, table5_3_skip_reason

    files = []
    for _, section, dataset in TABLE5_3_COLUMNS:
        if table5_3_skip_reason(CFG, section, dataset) is None:
            files += search_runs(section, methods)
    return files


def runs_by_section(table):
    return [f for section, methods in table.items() if space_cfg(section) for f in search_runs(section, methods)]


def launcher(wildcards, resources):
    """`nasrepro`, or torchrun with one process per GPU when a profile gives the job ``nproc`` > 1."""
    nproc = int(getattr(resources, "nproc", 1) or 1)
    if nproc <= 1:
        return "nasrepro"
    return f"torchrun --standalone --nproc_per_node={nproc} -m nasrepro.cli"


def table4_runs(sections, methods):
    """Retrained networks of every (budget setting, method, seed), plus the benchmark files that time
    their warm-up, search and retraining (GPU-days)."""
    files = []
    for section in sections:
        files += search_runs(section, methods)
        for m in methods:
            for s in space_cfg(section).get("seeds", []):
                files += [f"{RES}/{section}/retrain/{m}_s{s}.json", f"{BENCH}/{section}/retrain/{m}_s{s}.tsv"]
    return files
