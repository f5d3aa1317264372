"""Colour jitter on the device (HEP-NAS's ImageNet recipe): torchvision's adjustments per image, in each
image's own random order; reproducible per (seed, epoch, position); the geometry of the batch untouched."""

import pytest
import torch
from torchvision.transforms.v2 import functional as TF

from nasrepro.data.colour import ColourJitter, apply_jitter, rotate_hue
from nasrepro.data.loader import DeviceLoader
from nasrepro.errors import ConfigError

TORCHVISION = (TF.adjust_brightness, TF.adjust_contrast, TF.adjust_saturation, TF.adjust_hue)


def _images(n=6, seed=0):
    x = torch.rand(n, 3, 9, 7, generator=torch.Generator().manual_seed(seed))
    x[0, :, 0, 0] = 0.5                     # a grey pixel: no hue, no saturation
    x[1, :, :2] = 1.0                       # white rows
    x[2, 0, 0, 0] = x[2, 1, 0, 0]           # red and green tie for the largest channel
    x[3, :, 3] = 0.0                        # black
    return x


def test_each_image_takes_torchvisions_adjustments_in_its_own_order():
    x = _images()
    factors, order = ColourJitter(0.4, 0.4, 0.4, 0.2).draw(len(x), torch.Generator().manual_seed(1))
    ref = []
    for b in range(len(x)):
        img = x[b]
        for step in range(4):
            which = int(order[b, step])
            img = TORCHVISION[which](img, float(factors[b, which]))
        ref.append(img)
    got = apply_jitter(x, factors, order)
    assert torch.allclose(got, torch.stack(ref), atol=3e-6)
    assert len({tuple(o.tolist()) for o in order}) > 1  # the orders differ between images


@pytest.mark.parametrize("shift", [-0.5, -0.2, 0.0, 0.13, 0.5])
def test_hue_rotation_matches_torchvision_and_a_full_turn_is_the_identity(shift):
    x = _images()
    s = torch.full((len(x), 1, 1, 1), shift)
    ref = torch.stack([TF.adjust_hue(img, shift) for img in x])
    assert torch.allclose(rotate_hue(x, s), ref, atol=3e-6)
    assert torch.allclose(rotate_hue(rotate_hue(x, s), -s), x, atol=1e-5)


def test_draws_lie_in_torchvisions_ranges_and_orders_are_permutations():
    factors, order = ColourJitter(0.4, 0.3, 1.5, 0.2).draw(4000, torch.Generator().manual_seed(0))
    lo, hi = factors.min(0).values, factors.max(0).values
    assert torch.all(lo >= torch.tensor([0.6, 0.7, 0.0, -0.2])) and torch.all(hi <= torch.tensor([1.4, 1.3, 2.5, 0.2]))
    assert torch.all(lo < torch.tensor([0.62, 0.72, 0.02, -0.19])) and torch.all(hi > torch.tensor([1.38, 1.28, 2.48, 0.19]))
    assert torch.equal(order.sort(dim=1).values, torch.arange(4).expand(4000, 4))
    # each adjustment comes first in about a quarter of the images (uniform permutations)
    first = torch.bincount(order[:, 0], minlength=4).float() / 4000
    assert torch.all((first - 0.25).abs() < 0.03)


def test_bad_strengths_are_config_errors_and_zero_is_none():
    assert ColourJitter.from_config(None) is None
    assert ColourJitter.from_config({"brightness": 0, "hue": 0}) is None
    for bad, words in (({"hue": 0.6}, "at most 0.5"), ({"contrast": -0.1}, ">= 0"), ({"sharpness": 0.1}, "unknown keys")):
        with pytest.raises(ConfigError, match=words):
            ColourJitter.from_config(bad, "darts-hepnas-imagenet.standalone.colour_jitter")


def _loader(jitter, batch_size=8, seed=5, cutout=0):
    g = torch.Generator().manual_seed(0)
    images = torch.randint(1, 256, (16, 3, 8, 8), generator=g, dtype=torch.uint8)
    labels = torch.randint(0, 10, (16,), generator=g)
    return DeviceLoader(images, labels, batch_size, augment=True, seed=seed, cutout=cutout, colour_jitter=jitter)


def test_device_loader_jitters_after_the_same_crops_and_is_reproducible():
    jitter = ColourJitter(0.4, 0.4, 0.4, 0.2)
    plain, jittered = _loader(None), _loader(jitter)
    mean, std = plain.mean, plain.std
    for epoch in (0, 1):
        for i in range(len(plain)):
            (p, y), (x, y2) = plain.batch(epoch, i), jittered.batch(epoch, i)
            assert torch.equal(y, y2)
            # undo the normalisation of the plain batch, jitter it by the stream's draws of those positions
            positions = torch.arange(i * 8, (i + 1) * 8)
            expected = (jittered.jitter(p * std + mean, epoch, positions) - mean) / std
            assert torch.allclose(x, expected, atol=1e-5)
            assert not torch.allclose(x, p, atol=1e-2)
    # cutout still zeroes, after the jitter, the squares of a loader without jitter
    holes, jittered_holes = _loader(None, cutout=4).batch(0, 0)[0], _loader(jitter, cutout=4).batch(0, 0)[0]
    assert torch.equal(holes == 0, jittered_holes == 0) and bool((holes == 0).any())
    again = _loader(jitter)
    assert torch.equal(again.batch(1, 1)[0], jittered.batch(1, 1)[0])
    assert not torch.equal(jittered.batch(0, 0)[0], jittered.batch(1, 0)[0])


def test_an_images_colours_do_not_depend_on_the_batch_it_falls_in():
    jitter = ColourJitter(0.4, 0.4, 0.4, 0.2)
    whole, halves = _loader(jitter, batch_size=8), _loader(jitter, batch_size=4)
    assert torch.equal(whole.batch(2, 1)[0], torch.cat([halves.batch(2, 2)[0], halves.batch(2, 3)[0]]))
