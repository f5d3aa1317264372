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

FOLDER_DATASETS = ("imagenet",)


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


def load_source(dataset: str, cfg: dict, split: str) -> tuple[Source, int]:
    """(source, number of classes) of a dataset's ``train`` or ``test`` split."""
    if dataset in FOLDER_DATASETS:
        root = cfg.get("imagenet_root")
        if not root:
            raise DataError("dataset imagenet needs the config key imagenet_root (the folder holding train/ and val/)")
        folder = image_folder(str(Path(root) / ("train" if split == "train" else "val")))
        labels = torch.as_tensor(folder.targets, dtype=torch.int64)
        return Source(labels, folder=folder, rows=np.arange(len(labels))), len(folder.classes)
    images, labels, num_classes = load_dataset(dataset, cfg["data_root"], cfg["download"], split)
    return Source(torch.as_tensor(labels, dtype=torch.int64), images=images), num_classes
