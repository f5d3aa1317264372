"""NVIDIA DALI loader for ImageNet-style class folders: JPEG decoding on the GPU (``mixed`` backend) or, without
one, DALI's CPU backend (optional extra: ``pip install -e '.[dali]'``; setting key ``loader: dali``).

It has ``ImageFolderLoader``'s interface and its determinism: the order of an epoch is the same pure function of
(seed, epoch), and every image's random-resized crop and flip are drawn by numpy from (seed, epoch, position)
and handed to DALI as per-sample inputs, so DALI's own generators are never used and a resumed job sees the
same batches. What DALI cannot promise: the GPU decoder (nvJPEG) and libjpeg-turbo (the PIL path and DALI's
CPU backend) may differ by a few intensity levels, so pixels match across runs on one backend, not across
backends. The crop is drawn in normalised coordinates (area fraction in [0.08, 1], log-uniform aspect in
[3/4, 4/3] of the image's own axes), torchvision's RandomResizedCrop up to its pixel-space aspect on
non-square images and its ten-try fallback; evaluation resizes the shorter side to 256/224 of the resolution
and centre-crops, as the PIL path does.
"""

from __future__ import annotations

import math
from typing import Iterator

import numpy as np
import torch

from nasrepro.data.colour import ColourJitter, JitterStream
from nasrepro.data.imagefolder import IMAGENET_MEAN, IMAGENET_STD, FolderOrder, batch_count
from nasrepro.data.loader import derive_seed
from nasrepro.errors import ConfigError

SCALE, RATIO = (0.08, 1.0), (3 / 4, 4 / 3)


def _dali():
    try:
        from nvidia import dali  # noqa: F401
        from nvidia.dali import fn, pipeline_def, types  # noqa: F401
    except ImportError:
        raise ConfigError("loader: dali needs NVIDIA DALI: pip install -e '.[dali]' (or use loader: pil)") from None
    return dali


def crop_window(rng: np.random.Generator) -> tuple[float, float, float, float, bool]:
    """(x, y, width, height) of a random-resized crop in normalised coordinates, and a flip bit."""
    area = rng.uniform(*SCALE)
    ratio = math.exp(rng.uniform(math.log(RATIO[0]), math.log(RATIO[1])))
    w, h = min(1.0, math.sqrt(area * ratio)), min(1.0, math.sqrt(area / ratio))
    return float(rng.uniform(0, 1 - w)), float(rng.uniform(0, 1 - h)), w, h, bool(rng.integers(2))


class DaliFolderLoader(FolderOrder):
    """Batches of an image folder decoded by DALI (module docstring); ``iterate(epoch)``, ``batch``, ``len``."""

    def __init__(self, folder, rows, batch_size: int, device="cpu", augment: bool = False, seed: int = 0,
                 resolution: int = 224, drop_last: bool = True, shuffle: bool = True, channels_last: bool = False,
                 threads: int = 2, mean=IMAGENET_MEAN, std=IMAGENET_STD, colour_jitter: ColourJitter | None = None):
        _dali()
        self.folder = folder
        self.rows = np.arange(len(folder.samples)) if rows is None else np.asarray(rows, dtype=np.int64)
        self.n = len(self.rows)
        self.batch_size, self.device = int(batch_size), torch.device(device)
        self.augment, self.seed, self.resolution = bool(augment), int(seed), int(resolution)
        self.drop_last, self.shuffle, self.channels_last = bool(drop_last), bool(shuffle), bool(channels_last)
        self.rank_local = False
        self.num_classes = len(folder.classes)
        self.mean = torch.tensor(mean, device=self.device).view(1, 3, 1, 1)
        self.std = torch.tensor(std, device=self.device).view(1, 3, 1, 1)
        self.backend = "mixed" if self.device.type == "cuda" else "cpu"
        # colour jitter after DALI's crop and flip, on the device (``nasrepro.data.colour``), as the PIL loader does
        self.jitter = JitterStream(colour_jitter, self.n, self.seed, self.device) if colour_jitter and augment else None
        self._pipe = self._build(threads)

    def __len__(self) -> int:
        return batch_count(self.n, self.batch_size, self.drop_last)

    def _build(self, threads: int):
        from nvidia.dali import fn, pipeline_def, types

        res, augment = self.resolution, self.augment
        device_id = (self.device.index or 0) if self.device.type == "cuda" else None

        @pipeline_def(batch_size=self.batch_size, num_threads=threads, device_id=device_id,
                      exec_async=False, exec_pipelined=False, prefetch_queue_depth=1)
        def pipe():
            encoded = fn.external_source(name="jpegs", dtype=types.UINT8)
            if augment:
                anchor = fn.external_source(name="anchor", dtype=types.FLOAT)
                shape = fn.external_source(name="shape", dtype=types.FLOAT)
                flip = fn.external_source(name="flip", dtype=types.INT32)
                images = fn.decoders.image_slice(encoded, anchor, shape, device=self.backend, output_type=types.RGB,
                                                 normalized_anchor=True, normalized_shape=True, axis_names="WH")
                images = fn.resize(images, resize_x=res, resize_y=res)
                images = fn.flip(images, horizontal=flip)
            else:
                images = fn.decoders.image(encoded, device=self.backend, output_type=types.RGB)
                images = fn.resize(images, resize_shorter=int(round(res * 256 / 224)))
                images = fn.crop(images, crop=(res, res))
            return fn.transpose(images, perm=[2, 0, 1])  # CHW uint8, as the PIL path hands over

        p = pipe()
        p.build()
        return p

    def _run(self, epoch: int, positions: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        order = self.order(epoch)
        paths = [self.folder.samples[int(order[p])] for p in positions]
        data = {"jpegs": [np.fromfile(path, dtype=np.uint8) for path, _ in paths]}
        if self.augment:
            windows = [crop_window(np.random.default_rng(derive_seed(self.seed, epoch, f"image{p}"))) for p in positions]
            data["anchor"] = [np.array(w[:2], dtype=np.float32) for w in windows]
            data["shape"] = [np.array(w[2:4], dtype=np.float32) for w in windows]
            data["flip"] = [np.array(int(w[4]), dtype=np.int32) for w in windows]
        short = self.batch_size - len(positions)  # a short last batch: pad, then drop the padding
        for key, values in data.items():
            self._pipe.feed_input(key, values + values[:1] * short)
        (out,) = self._pipe.run()
        if self.backend == "mixed":  # straight from DALI's device buffer into a torch tensor on the same GPU
            from nvidia.dali.plugin.pytorch import feed_ndarray

            dense = torch.empty((self.batch_size, 3, self.resolution, self.resolution), dtype=torch.uint8,
                                device=self.device)
            feed_ndarray(out.as_tensor(), dense)
            images = dense[: len(positions)]
        else:
            images = torch.from_numpy(np.array(out.as_tensor()))[: len(positions)]
        labels = torch.tensor([label for _, label in paths])
        x = images.to(self.device).float().div_(255.0)
        if self.jitter is not None:
            x = self.jitter(x, epoch, positions)
        x = x.sub_(self.mean).div_(self.std)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return x, labels.to(self.device, dtype=torch.int64)

    def batch(self, epoch: int, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} out of range for {len(self)} batches")
        start = index * self.batch_size
        return self._run(epoch, list(range(start, min(start + self.batch_size, self.n))))

    def iterate(self, epoch: int, start: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for index in range(int(start), len(self)):
            yield self.batch(epoch, index)
