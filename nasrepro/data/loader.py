"""Device-resident data loading with on-device augmentation.

The uint8 images are copied to the device once; every epoch's sample order, crop offsets
and flips are drawn on the CPU from a ``torch.Generator`` seeded with a hash of
(seed, epoch), so they are identical on any device and a resumed run sees the same
batches. Batches are gathered, augmented (``pad``-pixel zero-padded random crop, 4 by
default, + horizontal flip, fully vectorised) and normalised on the device.
"""

from __future__ import annotations

import hashlib
import math
from typing import Iterator

import numpy as np
import torch
import torch.nn.functional as F

from nasrepro.data.colour import ColourJitter, JitterStream

# Per-channel mean/std on the 0..1 scale, the values used by DARTS / NAS-Bench-201 style code.
CIFAR10_MEAN = (0.49139968, 0.48215827, 0.44653124)
CIFAR10_STD = (0.24703233, 0.24348505, 0.26158768)
CIFAR100_MEAN = (0.50707516, 0.48654887, 0.44091784)
CIFAR100_STD = (0.26733429, 0.25643846, 0.27615047)
# ImageNet16-120: NB201 / AutoDL-Projects lib/datasets/get_dataset_with_transform.py uses
# mean = [122.68, 116.66, 104.01] / 255, std = [63.22, 61.26, 65.09] / 255 for ImageNet16*
# (and RandomCrop(16, padding=2), i.e. DeviceLoader(pad=IMAGENET16_PAD)).
IMAGENET16_MEAN = tuple(x / 255 for x in (122.68, 116.66, 104.01))
IMAGENET16_STD = tuple(x / 255 for x in (63.22, 61.26, 65.09))
IMAGENET16_PAD = 2
NORMALIZATION = {
    "cifar10": (CIFAR10_MEAN, CIFAR10_STD),
    "demo-cifar10": (CIFAR10_MEAN, CIFAR10_STD),
    "cifar100": (CIFAR100_MEAN, CIFAR100_STD),
    "imagenet16-120": (IMAGENET16_MEAN, IMAGENET16_STD),
    # Cityscapes and the demo's shapes: the ImageNet statistics, as DeepLab's ImageNet-pretrained encoders use
    "cityscapes": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    "shapes": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
}
PAD = 4
VOID = 255  # the ignored label of per-pixel targets (nasrepro.evaluation.segmentation.IGNORE_INDEX)


def mean_std(dataset: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(mean, std) for a dataset name (``cifar10``, ``demo-cifar10``, ``cifar100``, ``imagenet16-120``)."""
    try:
        return NORMALIZATION[str(dataset).lower()]
    except KeyError:
        raise KeyError(f"no normalisation constants for dataset {dataset!r}; known: {', '.join(NORMALIZATION)}") from None


def derive_seed(seed: int, epoch: int, stream: str) -> int:
    """A 63-bit seed that is a pure function of (seed, epoch, stream)."""
    digest = hashlib.sha256(f"nasrepro|{int(seed)}|{int(epoch)}|{stream}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & ((1 << 63) - 1)


class EpochOrder:
    """The order of an epoch's samples, which a sampler may set (PA&DA's data sampling draws an epoch's
    samples with replacement by importance, ``nasrepro.samplers.pada``); every loader has it.

    ``positions(epoch)`` are indices into the loader's ``n`` samples: the set order if one was set for
    that epoch, else the loader's own pure function of (seed, epoch) (``_default_positions``). Only the
    latest set order is kept, and the setter (the sampler) keeps what it needs to set it again on resume.
    """

    n: int
    batch_size: int
    _custom: tuple[int, np.ndarray] | None = None

    def _default_positions(self, epoch: int) -> np.ndarray:  # pragma: no cover - every loader defines it
        raise NotImplementedError

    def set_order(self, epoch: int, positions) -> None:
        positions = np.asarray(positions, dtype=np.int64)
        if positions.shape != (self.n,) or (self.n and (positions.min() < 0 or positions.max() >= self.n)):
            raise ValueError(f"an epoch order must hold {self.n} positions in [0, {self.n}), "
                             f"got shape {positions.shape}")
        self._custom = (int(epoch), positions)
        self._order_changed()

    def _order_changed(self) -> None:
        """Drop what was cached from the old order (``DeviceLoader``'s plan)."""

    def positions(self, epoch: int) -> np.ndarray:
        if self._custom is not None and self._custom[0] == int(epoch):
            return self._custom[1]
        cached = getattr(self, "_default_cache", None)
        if cached is None or cached[0] != int(epoch):  # one permutation per epoch, not per batch
            cached = self._default_cache = (int(epoch), self._default_positions(int(epoch)))
        return cached[1]

    def sample_ids(self, epoch: int, index: int) -> torch.Tensor:
        """Positions (sample ids in [0, n)) of batch ``index`` of ``epoch``, on the loader's device."""
        start = int(index) * self.batch_size
        return torch.as_tensor(self.positions(epoch)[start: min(start + self.batch_size, self.n)],
                               device=getattr(self, "device", None))


class DeviceLoader(EpochOrder):
    """Batches from uint8 NCHW images held on ``device``.

    ``iterate(epoch)`` yields ``(x, y)``: ``x`` float32 ``[B, 3, H, W]`` normalised with
    ``mean``/``std`` (0..1 scale; default CIFAR-10), in channels-last memory format if
    ``channels_last``; ``y`` int64 ``[B]``. The order (if ``shuffle``) and augmentation of
    an epoch are a pure function of (seed, epoch). ``len(loader)`` is batches per epoch.
    ``pad`` is the zero padding of the random crop (4 = CIFAR; NB201 uses 2 for ImageNet16).
    ``cutout`` (DARTS §3.2, DeVries and Taylor 2017; 16 on CIFAR) zeroes, after normalisation, a ``cutout`` x
    ``cutout`` square of each augmented image whose centre is uniform over the image (clipped at the borders);
    its centres come from a stream of their own, so the crops and flips are those of a loader without it.
    ``colour_jitter`` (``nasrepro.data.colour``) jitters each augmented image's colours after the crop and flip,
    before normalisation, likewise from a stream of its own.
    """

    def __init__(self, images_uint8, labels, batch_size: int, device="cpu", augment: bool = False,
                 seed: int = 0, drop_last: bool = True, mean=None, std=None, channels_last: bool = False,
                 shuffle: bool = True, pad: int = PAD, cutout: int = 0, colour_jitter: ColourJitter | None = None):
        images = torch.as_tensor(images_uint8)
        labels = torch.as_tensor(labels)
        if images.dtype != torch.uint8 or images.dim() != 4:
            raise ValueError(f"images must be uint8 [N, C, H, W], got {images.dtype} {tuple(images.shape)}")
        dense = labels.dim() == 3 and tuple(labels.shape[1:]) == tuple(images.shape[2:])
        if (labels.dim() != 1 and not dense) or labels.shape[0] != images.shape[0]:
            raise ValueError(f"labels must be [N] (classes) or [N, H, W] (per-pixel) with N={images.shape[0]} and "
                             f"H, W = {tuple(images.shape[2:])}, got {tuple(labels.shape)}")
        if batch_size <= 0:
            raise ValueError("batch_size must be positive")
        self.device = torch.device(device)
        self.images = images.to(self.device).contiguous()
        # per-pixel labels stay uint8 on the device (Cityscapes at 512 x 1024: 1.5 GB, not 12) until a batch is cut
        self.labels = labels.to(device=self.device, dtype=torch.uint8 if dense else torch.int64)
        self.n = int(images.shape[0])
        self.batch_size = int(batch_size)
        self.augment = bool(augment)
        self.seed = int(seed)
        self.drop_last = bool(drop_last)
        self.shuffle = bool(shuffle)
        self.channels_last = bool(channels_last)
        self.pad = int(pad)
        if self.pad < 0:
            raise ValueError(f"pad must be >= 0, got {pad}")
        self.cutout = int(cutout or 0)
        if self.cutout < 0:
            raise ValueError(f"cutout must be >= 0 (0: none), got {cutout}")
        c = images.shape[1]
        mean = CIFAR10_MEAN if mean is None else mean
        std = CIFAR10_STD if std is None else std
        self.mean = torch.as_tensor(mean, dtype=torch.float32, device=self.device).reshape(1, c, 1, 1)
        self.std = torch.as_tensor(std, dtype=torch.float32, device=self.device).reshape(1, c, 1, 1)
        self._plan_cache: tuple[int, dict] | None = None
        self.epoch = 0
        # per-image colour jitter of the augmented batches (``nasrepro.data.colour``), before normalisation
        self.jitter = (JitterStream(colour_jitter, self.n, self.seed, self.device)
                       if colour_jitter is not None and self.augment else None)

    def __len__(self) -> int:
        if self.drop_last:
            return self.n // self.batch_size
        return math.ceil(self.n / self.batch_size)

    def set_epoch(self, epoch: int) -> None:
        """Epoch used by ``iter(loader)``."""
        self.epoch = int(epoch)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        return self.iterate(self.epoch)

    # ------------------------------------------------------------------ per-epoch plan
    def _default_positions(self, epoch: int) -> np.ndarray:
        if not self.shuffle:
            return np.arange(self.n)
        return torch.randperm(self.n, generator=torch.Generator().manual_seed(derive_seed(self.seed, epoch, "order"))).numpy()

    def _order_changed(self) -> None:
        self._plan_cache = None

    def plan(self, epoch: int) -> dict:
        """Order and augmentation parameters of an epoch (CPU draws, moved to the device)."""
        epoch = int(epoch)
        if self._plan_cache is not None and self._plan_cache[0] == epoch:
            return self._plan_cache[1]
        p = {"order": torch.as_tensor(self.positions(epoch)).to(self.device)}
        if self.augment:
            g = torch.Generator().manual_seed(derive_seed(self.seed, epoch, "augment"))
            # per position in the epoch: crop offsets in [0, 2*pad] and a flip bit
            p["dy"] = torch.randint(0, 2 * self.pad + 1, (self.n,), generator=g).to(self.device)
            p["dx"] = torch.randint(0, 2 * self.pad + 1, (self.n,), generator=g).to(self.device)
            p["flip"] = (torch.rand(self.n, generator=g) < 0.5).to(self.device)
            if self.cutout:
                c = torch.Generator().manual_seed(derive_seed(self.seed, epoch, "cutout"))
                h, w = self.images.shape[2:]
                p["cy"] = torch.randint(0, h, (self.n,), generator=c).to(self.device)
                p["cx"] = torch.randint(0, w, (self.n,), generator=c).to(self.device)
        self._plan_cache = (epoch, p)
        return p

    def batch(self, epoch: int, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Batch ``index`` (0-based) of ``epoch``."""
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} out of range for {len(self)} batches")
        p = self.plan(epoch)
        sl = slice(index * self.batch_size, min((index + 1) * self.batch_size, self.n))
        idx = p["order"][sl]
        x, y = self.images[idx], self.labels[idx].long()
        if self.augment:
            x = crop_flip(x, p["dy"][sl], p["dx"][sl], p["flip"][sl], self.pad)
            if y.dim() == 3:  # per-pixel labels take the same crop and flip; the padding is void (255)
                y = (crop_flip(y[:, None] - VOID, p["dy"][sl], p["dx"][sl], p["flip"][sl], self.pad)[:, 0] + VOID)
        x = x.float().div_(255.0)
        if self.jitter is not None:
            x = self.jitter(x, epoch, torch.arange(sl.start, sl.stop, device=self.device))
        x = x.sub_(self.mean).div_(self.std)
        if self.augment and self.cutout:
            x = cutout(x, p["cy"][sl], p["cx"][sl], self.cutout)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return x, y

    def iterate(self, epoch: int, start: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Yield the batches of ``epoch`` from batch ``start`` on."""
        for i in range(int(start), len(self)):
            yield self.batch(epoch, i)


def crop_flip(x: torch.Tensor, dy: torch.Tensor, dx: torch.Tensor, flip: torch.Tensor, pad: int = PAD) -> torch.Tensor:
    """Per-sample random crop with ``pad`` zero padding and horizontal flip, vectorised.

    ``x`` ``[B, C, H, W]``; sample b takes rows ``dy[b]..dy[b]+H-1`` and columns
    ``dx[b]..dx[b]+W-1`` of its zero-padded image, mirrored left-right where ``flip[b]``.
    """
    b, c, h, w = x.shape
    xp = F.pad(x, (pad, pad, pad, pad))                                     # zeros around
    wp = w + 2 * pad
    ar_h = torch.arange(h, device=x.device)
    ar_w = torch.arange(w, device=x.device)
    rows = dy.view(b, 1) + ar_h.view(1, h)                                  # [B, H]
    cols = dx.view(b, 1) + torch.where(flip.view(b, 1), (w - 1) - ar_w, ar_w)  # [B, W]
    lin = (rows.view(b, h, 1) * wp + cols.view(b, 1, w)).view(b, 1, h * w).expand(b, c, h * w)
    return xp.reshape(b, c, -1).gather(2, lin).view(b, c, h, w)


def cutout(x: torch.Tensor, cy: torch.Tensor, cx: torch.Tensor, length: int) -> torch.Tensor:
    """Zero, per sample b, rows ``cy[b] - length // 2 .. cy[b] + length // 2 - 1`` and the same columns around
    ``cx[b]`` (clipped to the image), as DARTS's ``Cutout``; vectorised, no host sync."""
    h, w = x.shape[2:]
    half = length // 2
    rows = torch.arange(h, device=x.device).view(1, h)
    cols = torch.arange(w, device=x.device).view(1, w)
    in_rows = (rows >= (cy.view(-1, 1) - half)) & (rows < (cy.view(-1, 1) + half))   # [B, H]
    in_cols = (cols >= (cx.view(-1, 1) - half)) & (cols < (cx.view(-1, 1) + half))   # [B, W]
    hole = in_rows[:, :, None] & in_cols[:, None, :]                                     # [B, H, W]
    return x.masked_fill(hole[:, None], 0.0)


class BatchCycler:
    """Endless iterator over a loader's batches across epochs, with a restorable position.

    ``state_dict()`` is ``{"epoch": e, "batch": i}``: the next batch to be yielded is batch
    ``i`` of epoch ``e``. Restoring it with ``load_state_dict`` reproduces the same
    subsequent batches (the loader's batches are a pure function of (seed, epoch, index)).
    """

    def __init__(self, loader: DeviceLoader, epoch: int = 0):
        if len(loader) == 0:
            raise ValueError("loader yields no batches (fewer samples than batch_size with drop_last)")
        self.loader = loader
        self.epoch = int(epoch)
        self.index = 0

    def __iter__(self) -> "BatchCycler":
        return self

    def __next__(self) -> tuple[torch.Tensor, torch.Tensor]:
        if self.index >= len(self.loader):
            self.epoch += 1
            self.index = 0
        out = self.loader.batch(self.epoch, self.index)
        self.index += 1
        return out

    def state_dict(self) -> dict:
        return {"epoch": self.epoch, "batch": self.index}

    def load_state_dict(self, state: dict) -> None:
        self.epoch = int(state["epoch"])
        self.index = int(state["batch"])
