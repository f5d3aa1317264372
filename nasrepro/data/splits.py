"""The data a job sees: the NAS train/validation split, capped subsets, and device loaders for them."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch

from nasrepro.data.colour import ColourJitter
from nasrepro.data.datasets import train_val_split
from nasrepro.data.imagefolder import ImageFolderLoader
from nasrepro.data.loader import IMAGENET16_PAD, PAD, DeviceLoader, mean_std
from nasrepro.data.source import Source, load_source
from nasrepro.errors import ConfigError
from nasrepro.training.distributed import rank_and_world
from nasrepro.runtime import Runtime

SPLIT_SEED = 0  # one fixed 50/50 split, so every method and seed is scored on the same validation half
MAX_FOLDER_EVAL_IMAGES = 20_000  # evaluation holds its images on the device as one normalised tensor


@dataclass
class Split:
    train: Source
    val: Source
    num_classes: int


def stratified_subset(labels: torch.Tensor, limit: int | None) -> torch.Tensor | None:
    """Indices of a class-balanced subset of ``limit`` items (None = keep all). Datasets may be stored
    sorted by class, so a plain prefix would hold only the first classes."""
    if limit is None or limit >= len(labels):
        return None
    keep, _ = train_val_split(labels, fraction=limit / len(labels), seed=SPLIT_SEED)
    return keep


def capped(source: Source, limit: int | None) -> Source:
    """``source`` cut to a class-stratified ``limit`` (all of it when None)."""
    keep = stratified_subset(source.labels, limit)
    return source if keep is None else source.take(keep)


def training_source(cfg: dict, scfg: dict) -> tuple[Source, int]:
    """The section's training set, capped at ``train_images``, and its number of classes."""
    source, num_classes = load_source(scfg["dataset"], cfg, "train", scfg.get("resolution"))
    return capped(source, scfg.get("train_images")), num_classes


def nas_split(cfg: dict, scfg: dict) -> Split:
    """The training set (optionally capped, class-stratified) split 50/50 into train and validation."""
    source, num_classes = training_source(cfg, scfg)
    tr, va = train_val_split(source.labels, fraction=0.5, seed=SPLIT_SEED)
    return Split(source.take(tr), source.take(va), num_classes)


def make_loader(scfg: dict, source: Source, batch_size: int, runtime: Runtime, seed: int, augment: bool,
                shuffle: bool = True, drop_last: bool = True, cutout: int = 0,
                colour_jitter: ColourJitter | None = None) -> DeviceLoader | ImageFolderLoader:
    """Batches of ``source`` on the runtime's device, augmented there (crop + flip, ``colour_jitter``, and
    ``cutout`` for the in-memory datasets) when ``augment``."""
    if cutout and source.folder is not None:
        raise ConfigError("cutout applies to the in-memory datasets (CIFAR); remove standalone.cutout for an image folder")
    if source.folder is not None and scfg.get("loader", "pil") == "dali":  # JPEGs decoded by DALI (GPU: nvJPEG)
        from nasrepro.data.dali_loader import DaliFolderLoader

        if rank_and_world()[1] > 1:
            raise ConfigError("loader: dali serves one process; under torchrun use loader: pil")
        return DaliFolderLoader(source.folder, source.rows, batch_size, runtime.device, augment=augment, seed=seed,
                                resolution=scfg.get("resolution", 224), drop_last=drop_last, shuffle=shuffle,
                                channels_last=runtime.channels_last, threads=min(8, os.cpu_count() or 1),
                                colour_jitter=colour_jitter)
    if source.folder is not None:  # ImageNet: decoded by worker processes, each rank its own share
        rank, world = rank_and_world()
        return ImageFolderLoader(None, batch_size, runtime.device, augment=augment, seed=seed,
                                 resolution=scfg.get("resolution", 224), workers=min(8, os.cpu_count() or 1),
                                 drop_last=drop_last, shuffle=shuffle, channels_last=runtime.channels_last,
                                 rank=rank if augment else 0, world=world if augment else 1,
                                 folder=source.folder, rows=source.rows, colour_jitter=colour_jitter)
    mean, std = mean_std(scfg["dataset"])
    # NB201 crops its 16x16 ImageNet16-120 images with 2-pixel padding (CIFAR: 4); a downsampled set
    # (``resolution``) scales CIFAR's 4 pixels at 32 with its side
    pad = IMAGENET16_PAD if scfg["dataset"] == "imagenet16-120" else PAD
    if scfg.get("resolution") and scfg["dataset"] != "imagenet16-120":
        pad = max(1, PAD * int(scfg["resolution"]) // 32)
    return DeviceLoader(source.images, source.labels, batch_size, runtime.device, augment=augment, seed=seed,
                        drop_last=drop_last, mean=mean, std=std, channels_last=runtime.channels_last,
                        shuffle=shuffle, pad=pad, cutout=cutout, colour_jitter=colour_jitter)


def eval_loader(scfg: dict, source: Source, batch_size: int, runtime: Runtime) -> DeviceLoader | ImageFolderLoader:
    """Every image of ``source`` once, in order, unaugmented."""
    return make_loader(scfg, source, batch_size, runtime, 0, augment=False, shuffle=False, drop_last=False)


def eval_tensors(scfg: dict, source: Source, runtime: Runtime, limit: int | None) -> tuple[torch.Tensor, torch.Tensor]:
    """The (capped, class-stratified) images of ``source``, normalised, on the device."""
    source = capped(source, limit)
    if source.folder is not None:
        if len(source) > MAX_FOLDER_EVAL_IMAGES:
            raise ConfigError(f"evaluation on {len(source):,} folder images would not fit on the device; set "
                              f"evaluation.val_images / test_images to at most {MAX_FOLDER_EVAL_IMAGES:,}")
        parts = list(eval_loader(scfg, source, min(256, len(source)), runtime).iterate(0))
        return torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])
    return eval_loader(scfg, source, len(source), runtime).batch(0, 0)
