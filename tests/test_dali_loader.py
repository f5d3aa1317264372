"""The DALI folder loader on DALI's CPU backend: batches as the PIL loader's interface has them, a pure
function of (seed, epoch, position) (so a resumed job sees the same batches), evaluation close to torchvision's
resize + centre crop, and crops inside the image with the RandomResizedCrop area and aspect bounds."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

pytest.importorskip("nvidia.dali", reason="DALI is the optional extra [dali] (pip install -e '.[dali]')")

from nasrepro.data.dali_loader import RATIO, SCALE, DaliFolderLoader, crop_window  # noqa: E402
from nasrepro.data.imagefolder import ImageFolderLoader  # noqa: E402


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    from PIL import Image
    from torchvision import datasets

    root = tmp_path_factory.mktemp("folder")
    rng = np.random.default_rng(0)
    for c in ("ant", "bee"):
        (root / c).mkdir()
        for i in range(5):
            w, h = int(rng.integers(40, 90)), int(rng.integers(40, 90))
            yy, xx = np.mgrid[0:h, 0:w]  # smooth images: interpolation differences stay small
            img = np.stack([255 * xx / w, 255 * yy / h, np.full_like(xx, 60 + 40 * i, dtype=float)], -1)
            Image.fromarray(img.astype(np.uint8)).save(root / c / f"{i}.jpg", quality=95)
    return datasets.ImageFolder(str(root))


def _dali(folder, **kw):
    return DaliFolderLoader(folder, None, 4, "cpu", resolution=32, threads=1, **kw)


def test_dali_batches_are_a_pure_function_of_seed_epoch_and_position(folder):
    train = _dali(folder, augment=True, seed=3)
    assert len(train) == 10 // 4
    x, y = train.batch(1, 0)
    assert x.shape == (4, 3, 32, 32) and x.dtype == torch.float32 and y.dtype == torch.int64
    order = train.order(1)[:4]
    assert y.tolist() == [folder.samples[int(i)][1] for i in order]
    again = _dali(folder, augment=True, seed=3)
    assert torch.equal(again.batch(1, 0)[0], x)  # a fresh loader (a resumed job): the same batch
    assert torch.equal(next(iter(again.iterate(1, start=1)))[0], train.batch(1, 1)[0])
    assert not torch.equal(_dali(folder, augment=True, seed=4).batch(1, 0)[0], x)
    assert not torch.equal(train.batch(2, 0)[0], x)  # another epoch: another order and other crops


def test_dali_evaluation_matches_torchvision_resize_and_centre_crop(folder):
    dali = _dali(folder, augment=False, shuffle=False, drop_last=False)
    pil = ImageFolderLoader(None, 4, "cpu", augment=False, resolution=32, workers=0, drop_last=False, shuffle=False,
                            folder=folder)
    assert len(dali) == len(pil) == 3
    for i in range(len(dali)):
        (dx, dy), (px, py) = dali.batch(0, i), pil.batch(0, i)
        assert torch.equal(dy, py) and dx.shape == px.shape  # the last batch is short in both
        # a few intensity levels apart (0.1 normalised ~ 6 of 255: resampling and the crop's half-pixel centre)
        assert float((dx - px).abs().mean()) < 0.1
        assert float(torch.corrcoef(torch.stack([dx.flatten(), px.flatten()]))[0, 1]) > 0.995


def test_crop_windows_lie_inside_the_image_within_the_random_resized_crop_bounds():
    rng = np.random.default_rng(0)
    for _ in range(2000):
        x, y, w, h, flip = crop_window(rng)
        assert 0 <= x and x + w <= 1 + 1e-9 and 0 <= y and y + h <= 1 + 1e-9 and isinstance(flip, bool)
        assert w * h <= SCALE[1] + 1e-9
        if w < 1 and h < 1:  # not clipped by the image: area and aspect as drawn
            assert SCALE[0] - 1e-9 <= w * h and RATIO[0] - 1e-9 <= w / h <= RATIO[1] + 1e-9
    flips = [crop_window(np.random.default_rng(s))[4] for s in range(400)]
    assert 0.4 < np.mean(flips) < 0.6 and math.isfinite(float(np.mean(flips)))
