"""Is the data a preset needs there? Checked when the workflow starts, before any job runs.

Only presence is checked (cheap: no file is decoded); a job still reports a corrupt file itself. The
messages name the config key to fix, as the loaders' errors do.
"""

from __future__ import annotations

from pathlib import Path

from nasrepro.data.datasets import DEMO_NPZ, preprocessed_npz

_CIFAR = {"cifar10": ("CIFAR-10", "cifar-10-batches-py"), "cifar100": ("CIFAR-100", "cifar-100-python")}
_SPLITS = ("train", "test")


def _cifar_missing(dataset: str, root: str | None, download: bool) -> str | None:
    label, folder = _CIFAR[dataset]
    if download:
        return None  # torchvision fetches it in the first job
    base = Path(root or "").expanduser()
    if (base / folder).is_dir() or (base.name == folder and base.is_dir()):
        return None
    # the loader's other two layouts: preprocessed arrays, or JPEG packs (nasrepro.data.datasets)
    if all(preprocessed_npz(dataset, base, s).is_file() or (base / f"{dataset}_jpeg_{s}.npz").is_file()
           for s in _SPLITS):
        return None
    return (f"{label} not found under {root!r} (config key data_root): set data_root to the folder holding "
            f"{folder} (or {dataset}_train.npz and {dataset}_test.npz), or run with --config download=true")


def _imagenet16_missing(root: str | None) -> str | None:
    from nasrepro.data.imagenet16 import FOLDER, TEST_FILES

    base = Path(root or "").expanduser()
    if any((d / TEST_FILES[0]).is_file() for d in (base, base / FOLDER)):
        return None
    return (f"ImageNet16-120 not found under {root!r} (config key data_root): set data_root to the folder "
            f"holding {FOLDER}/ (train_data_batch_1 … 10 and val_data); it is never downloaded")


def _imagenet_missing(root: str | None) -> str | None:
    if not root:
        return "ImageNet needs the config key imagenet_root (the folder holding train/ and val/ class folders)"
    base = Path(root).expanduser()
    missing = [s for s in ("train", "val") if not (base / s).is_dir()]
    if missing:
        return f"ImageNet folder {root!r} (config key imagenet_root) has no {' or '.join(missing)}/ folder"
    return None


def _dataset_missing(cfg: dict, dataset: str) -> str | None:
    if dataset == "demo-cifar10":
        return None if DEMO_NPZ.is_file() else f"the embedded demo data {DEMO_NPZ} is missing: reinstall nasrepro"
    if dataset in _CIFAR:
        return _cifar_missing(dataset, cfg.get("data_root"), bool(cfg.get("download")))
    if dataset == "imagenet16-120":
        return _imagenet16_missing(cfg.get("data_root"))
    if dataset == "imagenet":
        return _imagenet_missing(cfg.get("imagenet_root"))
    if dataset == "food101":
        return _food101_missing(cfg.get("food101_root"))
    return None


def _food101_missing(root: str | None) -> str | None:
    from nasrepro.data.source import FOOD101_LAYOUT

    base = Path(root or "").expanduser() / "food-101"
    if root and (base / "images").is_dir() and (base / "meta" / "train.json").is_file():
        return None
    return f"Food101 not found under {root!r} (config key food101_root): it must hold {FOOD101_LAYOUT}"


def missing_data(cfg: dict, settings=None) -> list[str]:
    """One message per missing dataset or benchmark file of the resolved config's ``settings``
    (default: every setting of the preset)."""
    problems: list[str] = []
    for section, scfg in cfg.items():
        if not isinstance(scfg, dict) or "dataset" not in scfg or (settings is not None and section not in settings):
            continue
        msg = _dataset_missing(cfg, scfg["dataset"])
        if msg and msg not in problems:
            problems.append(msg)
        full = (scfg.get("benchmark") or {}).get("full_benchmark_path")
        if full and not Path(full).expanduser().is_file():
            problems.append(f"the full NAS-Bench-201 file {full!r} (config key presets.{cfg['preset']}.{section}."
                            "benchmark.full_benchmark_path) does not exist: fix the path or set it to null")
    for setting, qcfg in (cfg.get("query") or {}).items():  # query-based search (nasrepro.query)
        if qcfg.get("benchmark") == "trained" and (settings is None or setting in settings):
            for dataset in qcfg["datasets"]:  # every query trains a network on these images
                msg = _dataset_missing(cfg, dataset)
                if msg and msg not in problems:
                    problems.append(msg)
        full = qcfg.get("full_benchmark_path")
        if full and not Path(full).expanduser().is_file():
            problems.append(f"the full NAS-Bench-201 file {full!r} (config key presets.{cfg['preset']}.query.{setting}."
                            "full_benchmark_path) does not exist: fix the path or set it to null")
    return problems
