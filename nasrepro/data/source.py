"""Where a split's images live: a uint8 tensor (CIFAR, the demo subset, ImageNet16-120) or an image
folder (ImageNet, ``dataset: imagenet``), behind one small interface the jobs use for both."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from nasrepro.data.datasets import load_dataset
from nasrepro.errors import DataError

FOLDER_DATASETS = ("imagenet", "food101")
FOOD101_LAYOUT = "food-101/ (images/<class>/*.jpg and meta/train.json, meta/test.json)"


@dataclass
class Source:
    labels: torch.Tensor  # [N] int64
    images: torch.Tensor | None = None  # [N, 3, H, W] uint8 (tensor datasets)
    folder: Any = None  # torchvision ImageFolder (folder datasets)
    rows: np.ndarray | None = None  # the folder's samples in this source

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def take(self, idx) -> "Source":
        """The sub-source of positions ``idx`` (a tensor or array of indices)."""
        idx = torch.as_tensor(idx, dtype=torch.long)
        if self.folder is not None:
            return Source(self.labels[idx], folder=self.folder, rows=self.rows[idx.cpu().numpy()])
        return Source(self.labels[idx], images=self.images[idx])


@functools.lru_cache(maxsize=4)
def image_folder(root: str):
    """torchvision ImageFolder of ``root``, scanned once per process (ImageNet has 1.28M files)."""
    from torchvision import datasets

    if not Path(root).is_dir():
        raise DataError(f"image folder {root} does not exist (config key imagenet_root); it must hold train/ and "
                        "val/, each with one sub-folder of images per class (the ILSVRC2012 layout)")
    return datasets.ImageFolder(root)


class ImageList:
    """The part of torchvision's ImageFolder the streaming loader reads (``samples``, ``targets``,
    ``classes``, ``loader``), for datasets that list their files instead of one folder per split."""

    def __init__(self, samples: list[tuple[str, int]], classes: list[str]):
        from torchvision.datasets.folder import default_loader

        self.samples, self.classes = samples, classes
        self.targets = [label for _, label in samples]
        self.loader = default_loader


@functools.lru_cache(maxsize=4)
def food101_list(root: str, split: str) -> ImageList:
    """Food101 (Bossard et al. 2014; thesis §2.3.6) through ``torchvision.datasets.Food101``: 75,750 train /
    25,250 test images of 101 classes. Never downloaded here (config key food101_root)."""
    from torchvision.datasets import Food101

    try:
        data = Food101(root, split="train" if split == "train" else "test", download=False)
    except RuntimeError:
        raise DataError(f"Food101 not found under {root!r} (config key food101_root): it must hold "
                        f"{FOOD101_LAYOUT}") from None
    return ImageList([(str(f), int(y)) for f, y in zip(data._image_files, data._labels)], list(data.classes))


def downsampled(images: torch.Tensor, size: int) -> torch.Tensor:
    """uint8 images [N, C, H, W] area-averaged to ``size`` x ``size`` (``size`` must divide H and W equally):
    the mean of each k x k block, rounded half to even."""
    h, w = images.shape[-2:]
    if size == h == w:
        return images
    if h != w or size <= 0 or h % size:
        raise DataError(f"resolution {size} must divide the {h}x{w} images of the dataset evenly (square images); "
                        f"use one of {[d for d in range(8, h + 1) if h % d == 0]} or drop the setting's resolution")
    k = h // size
    return torch.nn.functional.avg_pool2d(images.float(), k).round().to(torch.uint8)


def load_source(dataset: str, cfg: dict, split: str, resolution: int | None = None) -> tuple[Source, int]:
    """(source, number of classes) of a dataset's ``train`` or ``test`` split. The segmentation sets
    (``cityscapes``, the demo's ``shapes``) have per-pixel labels [N, H, W]. ``resolution`` (a setting's key)
    area-downsamples an in-memory classification set (``downsampled``); folder datasets crop to it in their
    loaders instead."""
    source, num_classes = _load_source(dataset, cfg, split)
    if resolution and source.images is not None:
        if source.labels.dim() != 1:
            raise DataError(f"resolution applies to classification images; {dataset} has per-pixel labels "
                            "(set cityscapes_size instead)")
        source = Source(source.labels, images=downsampled(source.images, int(resolution)))
    return source, num_classes


def _load_source(dataset: str, cfg: dict, split: str) -> tuple[Source, int]:
    if dataset == "shapes":  # the demo's stand-in for Cityscapes, generated at run time (nasrepro.data.shapes)
        from nasrepro.data.shapes import SHAPE_CLASSES, SHAPES_SPLITS, make_shapes

        n, seed = SHAPES_SPLITS[split]
        images, labels = make_shapes(n, seed=seed)
        return Source(labels, images=images), len(SHAPE_CLASSES)
    if dataset == "cityscapes":
        from nasrepro.data.cityscapes import NUM_CLASSES, load_cityscapes

        images, labels = load_cityscapes(cfg.get("cityscapes_root"), split, cfg.get("cityscapes_size", (512, 1024)))
        return Source(labels, images=images), NUM_CLASSES
    if dataset == "food101":
        root = cfg.get("food101_root")
        if not root:
            raise DataError(f"dataset food101 needs the config key food101_root (the folder holding {FOOD101_LAYOUT})")
        folder = food101_list(str(Path(root).expanduser()), split)
        labels = torch.as_tensor(folder.targets, dtype=torch.int64)
        return Source(labels, folder=folder, rows=np.arange(len(labels))), len(folder.classes)
    if dataset in FOLDER_DATASETS:
        root = cfg.get("imagenet_root")
        if not root:
            raise DataError("dataset imagenet needs the config key imagenet_root (the folder holding train/ and val/)")
        folder = image_folder(str(Path(root) / ("train" if split == "train" else "val")))
        labels = torch.as_tensor(folder.targets, dtype=torch.int64)
        return Source(labels, folder=folder, rows=np.arange(len(labels))), len(folder.classes)
    images, labels, num_classes = load_dataset(dataset, cfg["data_root"], cfg["download"], split)
    return Source(torch.as_tensor(labels, dtype=torch.int64), images=images), num_classes
