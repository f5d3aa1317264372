"""Streaming loader for ImageNet-style class folders (``root/<class>/<image>``), for data that cannot sit
on the device as one tensor (ImageNet for the MobileNet space).

Same interface as ``DeviceLoader`` (``iterate(epoch)``, ``batch(epoch, index)``, ``len``), so the
supernet trainer and its checkpoints do not care which one they get:

* the order of an epoch is a pure function of (seed, epoch), and so is every image's augmentation
  (RandomResizedCrop + horizontal flip for training, resize to 256/224 of the resolution + centre
  crop otherwise), because each image's transform is seeded with (seed, epoch, position): a resumed
  job sees exactly the batches it would have seen;
* decoding runs in ``workers`` DataLoader processes; images travel as uint8 and are normalised on the
  device (in channels-last memory format when asked);
* under torchrun, ``rank``/``world`` make each rank decode only its own slice of every global batch
  (``rank_local`` tells the trainer not to slice again).

FFCV is not required; this loader uses only torchvision.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from nasrepro.data.colour import ColourJitter, JitterStream
from nasrepro.data.loader import EpochOrder, derive_seed
from nasrepro.errors import DataError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def batch_count(n: int, batch_size: int, drop_last: bool) -> int:
    return n // batch_size if drop_last else math.ceil(n / batch_size)


def epoch_positions(n: int, seed: int, epoch: int, shuffle: bool = True) -> np.ndarray:
    """Positions into the folder loaders' rows in the order of ``epoch``: a pure function of (seed, epoch)."""
    if not shuffle:
        return np.arange(n)
    return np.random.default_rng(derive_seed(seed, epoch, "order")).permutation(n)


class FolderOrder(EpochOrder):
    """The epoch order of the folder loaders (PIL and DALI): the same positions into the same rows."""

    rows: np.ndarray
    seed: int
    shuffle: bool

    def _default_positions(self, epoch: int) -> np.ndarray:
        return epoch_positions(self.n, self.seed, epoch, self.shuffle)

    def order(self, epoch: int) -> np.ndarray:
        """Folder rows in the order of ``epoch``."""
        return self.rows[self.positions(epoch)]


class _Positions(Dataset):
    """Item i = the image at epoch position ``positions[i]``, transformed with that position's seed."""

    def __init__(self, folder, order: np.ndarray, positions: list[int], transform, seed: int, epoch: int):
        self.folder, self.order, self.positions = folder, order, positions  # order: positions -> folder rows
        self.transform, self.seed, self.epoch = transform, seed, epoch

    def __len__(self) -> int:
        return len(self.positions)

    def __getitem__(self, i: int):
        from torchvision.transforms.functional import pil_to_tensor

        position = self.positions[i]
        path, label = self.folder.samples[int(self.order[position])]
        image = self.folder.loader(path)
        torch.manual_seed(derive_seed(self.seed, self.epoch, f"image{position}"))
        return pil_to_tensor(self.transform(image)), label


class ImageFolderLoader(FolderOrder):
    def __init__(self, root: str | Path | None, batch_size: int, device="cpu", augment: bool = False, seed: int = 0,
                 resolution: int = 224, workers: int = 8, drop_last: bool = True, shuffle: bool = True,
                 channels_last: bool = False, rank: int = 0, world: int = 1, mean=IMAGENET_MEAN, std=IMAGENET_STD,
                 folder=None, rows=None, colour_jitter: ColourJitter | None = None):
        from torchvision import datasets, transforms

        if folder is None:
            root = Path(root)
            if not root.is_dir():
                raise DataError(f"image folder {root} does not exist (config key imagenet_root); point it at the "
                                "folder holding one sub-folder of images per class (e.g. ILSVRC2012 train/ or val/)")
            folder = datasets.ImageFolder(str(root))
        self.folder = folder
        # the folder's samples this loader serves (a class-stratified half for the NAS split, say)
        self.rows = np.arange(len(folder.samples)) if rows is None else np.asarray(rows, dtype=np.int64)
        if batch_size % world:
            raise DataError(f"batch_size {batch_size} does not divide across {world} ranks")
        if augment:
            self.transform = transforms.Compose([transforms.RandomResizedCrop(resolution),
                                                 transforms.RandomHorizontalFlip()])
        else:
            self.transform = transforms.Compose([transforms.Resize(int(round(resolution * 256 / 224))),
                                                 transforms.CenterCrop(resolution)])
        self.n = len(self.rows)
        self.num_classes = len(self.folder.classes)
        self.batch_size, self.device = int(batch_size), torch.device(device)
        self.augment, self.seed, self.workers = bool(augment), int(seed), int(workers)
        self.drop_last, self.shuffle, self.channels_last = bool(drop_last), bool(shuffle), bool(channels_last)
        self.rank, self.world = int(rank), int(world)
        self.rank_local = world > 1
        self.mean = torch.tensor(mean, device=self.device).view(1, 3, 1, 1)
        self.std = torch.tensor(std, device=self.device).view(1, 3, 1, 1)
        # colour jitter on the device, per epoch position (the same draws on every rank)
        self.jitter = JitterStream(colour_jitter, self.n, self.seed, self.device) if colour_jitter and augment else None

    def __len__(self) -> int:
        return batch_count(self.n, self.batch_size, self.drop_last)

    def _rank_positions(self, index: int) -> tuple[int, int]:
        """[start, stop) positions of this rank's part of global batch ``index``."""
        start = index * self.batch_size
        stop = min(start + self.batch_size, self.n)
        share = (stop - start) // self.world
        return start + self.rank * share, start + (self.rank + 1) * share

    def _to_device(self, images: torch.Tensor, labels: torch.Tensor, epoch: int,
                   positions: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        x = images.to(self.device, non_blocking=True).float().div_(255.0)
        if self.jitter is not None:
            x = self.jitter(x, epoch, positions)
        x = x.sub_(self.mean).div_(self.std)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return x, labels.to(self.device, dtype=torch.int64, non_blocking=True)

    def batch(self, epoch: int, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Batch ``index`` of ``epoch`` (this rank's part), decoded in this process."""
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} out of range for {len(self)} batches")
        positions = list(range(*self._rank_positions(index)))
        items = _Positions(self.folder, self.order(epoch), positions, self.transform, self.seed, epoch)
        images, labels = zip(*(items[i] for i in range(len(items))))
        return self._to_device(torch.stack(images), torch.tensor(labels), epoch, positions)

    def iterate(self, epoch: int, start: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """The batches of ``epoch`` from batch ``start`` on, decoded by ``workers`` processes."""
        # Consecutive shares of this rank, chunked by the full share: only the last batch may be smaller.
        positions = [p for i in range(int(start), len(self)) for p in range(*self._rank_positions(i))]
        items = _Positions(self.folder, self.order(epoch), positions, self.transform, self.seed, epoch)
        share = self.batch_size // self.world
        loader = DataLoader(items, batch_size=share, num_workers=self.workers, pin_memory=self.device.type == "cuda")
        for i, (images, labels) in enumerate(loader):
            yield self._to_device(images, labels, epoch, positions[i * share: (i + 1) * share])
