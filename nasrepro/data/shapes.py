"""A small procedurally generated segmentation set for the demo: coloured shapes on textured backgrounds with
per-pixel labels, built deterministically at run time (no files). It stands in for Cityscapes (19 classes,
1024x2048) in the demo, and every demo output says so.

Classes: 0 background, 1 disc, 2 square, 3 triangle, 4 ring. The one-pixel boundary of every shape is labelled
255 (ignored), as Cityscapes leaves its boundaries void, so the mIoU's ignore path runs in the demo too.
"""

from __future__ import annotations

import numpy as np
import torch

from nasrepro.evaluation.segmentation import IGNORE_INDEX

SHAPE_CLASSES = ("background", "disc", "square", "triangle", "ring")
#: images and generator seed of each split of dataset ``shapes`` (64 x 64 pixels)
SHAPES_SPLITS = {"train": (512, 0), "test": (128, 1)}


def _mask(kind: int, yy: np.ndarray, xx: np.ndarray, cy: float, cx: float, r: float) -> np.ndarray:
    if kind == 1:
        return (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
    if kind == 2:
        return (np.abs(yy - cy) <= r) & (np.abs(xx - cx) <= r)
    if kind == 3:
        return (yy >= cy - r) & (yy <= cy + r) & (np.abs(xx - cx) <= (yy - (cy - r)) / 2)
    d = np.sqrt((yy - cy) ** 2 + (xx - cx) ** 2)
    return (d <= r) & (d >= 0.55 * r)


def make_shapes(n: int, size: int = 64, seed: int = 0, shapes_per_image: int = 3) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` images [n, 3, size, size] (uint8) and labels [n, size, size] (int64; 255 on shape boundaries)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    images = np.empty((n, 3, size, size), dtype=np.uint8)
    labels = np.zeros((n, size, size), dtype=np.int64)
    for i in range(n):
        base = rng.uniform(40, 200, 3)
        texture = rng.normal(0, 12, (3, size, size))
        img = base[:, None, None] + texture
        lab = np.zeros((size, size), dtype=np.int64)
        for _ in range(shapes_per_image):
            kind = int(rng.integers(1, len(SHAPE_CLASSES)))
            r = rng.uniform(0.1, 0.25) * size
            cy, cx = rng.uniform(r, size - r, 2)
            m = _mask(kind, yy, xx, cy, cx, r)
            img[:, m] = rng.uniform(0, 255, 3)[:, None] + rng.normal(0, 8, (3, int(m.sum())))
            lab[m] = kind
        # one-pixel boundaries between different labels are void (255), as in Cityscapes
        edge = np.zeros_like(lab, dtype=bool)
        edge[:-1] |= lab[:-1] != lab[1:]
        edge[:, :-1] |= lab[:, :-1] != lab[:, 1:]
        lab[edge] = IGNORE_INDEX
        images[i] = np.clip(img, 0, 255).astype(np.uint8)
        labels[i] = lab
    return torch.from_numpy(images), torch.from_numpy(labels)
