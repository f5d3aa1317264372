"""Colour jitter on the device, per image and reproducible: the ``ColorJitter`` of DARTS's ImageNet recipe,
which HEP-NAS's appendix follows for its ImageNet transfer ("random cropping, color jittering, random
horizontal flipping and normalization"; the strengths 0.4 / 0.4 / 0.4 / 0.2 are DARTS's, the seed gives none).

Semantics are torchvision's ``ColorJitter`` on a float image in [0, 1], one draw per image:

* factors: brightness, contrast and saturation uniform in [max(0, 1 - s), 1 + s], hue uniform in [-h, h];
* the four adjustments run in a random order of their own per image;
* brightness scales, contrast blends with the mean grey level of the image, saturation with the image's
  grey version (ITU-R 601 luma weights 0.2989 / 0.587 / 0.114), hue rotates the HSV hue; every step clips
  to [0, 1].

The PIL path of DARTS rounds to 8 bits after each adjustment; this runs in float32 on the batch as a whole
(no per-image Python, no host sync). The draws of an epoch are a pure function of (seed, epoch) and the
image's position in the epoch, from a stream of their own: a loader with jitter crops and flips exactly as
one without it, and a resumed job sees the same colours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from nasrepro.errors import ConfigError

LUMA = (0.2989, 0.587, 0.114)
ADJUSTMENTS = ("brightness", "contrast", "saturation", "hue")


@dataclass(frozen=True)
class ColourJitter:
    brightness: float = 0.0
    contrast: float = 0.0
    saturation: float = 0.0
    hue: float = 0.0

    @classmethod
    def from_config(cls, d: dict | None, where: str = "standalone.colour_jitter") -> "ColourJitter | None":
        """None for an absent or all-zero section; a clear error for a bad strength."""
        if not d:
            return None
        unknown = set(d) - set(ADJUSTMENTS)
        if unknown:
            raise ConfigError(f"{where}: unknown keys {sorted(unknown)}; allowed {list(ADJUSTMENTS)}")
        out = cls(**{k: float(v) for k, v in d.items()})
        for name in ADJUSTMENTS:
            if getattr(out, name) < 0:
                raise ConfigError(f"{where}.{name} must be >= 0, got {getattr(out, name)}")
        if out.hue > 0.5:
            raise ConfigError(f"{where}.hue must be at most 0.5 (half a turn of the hue circle), got {out.hue}")
        return out if any(getattr(out, k) for k in ADJUSTMENTS) else None

    def draw(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Per image: the four factors [n, 4] (float32, ADJUSTMENTS order) and the order [n, 4] (int64) in
        which they apply, a uniform random permutation per image."""
        u = torch.rand(n, 4, generator=generator, dtype=torch.float64)
        low = torch.tensor([max(0.0, 1.0 - self.brightness), max(0.0, 1.0 - self.contrast),
                            max(0.0, 1.0 - self.saturation), -self.hue], dtype=torch.float64)
        high = torch.tensor([1.0 + self.brightness, 1.0 + self.contrast, 1.0 + self.saturation, self.hue],
                            dtype=torch.float64)
        factors = (low + (high - low) * u).float()
        order = torch.argsort(torch.rand(n, 4, generator=generator), dim=1)
        return factors, order

    def enabled(self) -> list[int]:
        return [k for k, name in enumerate(ADJUSTMENTS) if getattr(self, name) > 0]


def grey(x: torch.Tensor) -> torch.Tensor:
    """[B, 1, H, W] luma of RGB ``x`` [B, 3, H, W]."""
    return (LUMA[0] * x[:, 0] + LUMA[1] * x[:, 1] + LUMA[2] * x[:, 2]).unsqueeze(1)


def _blend(x: torch.Tensor, other: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    return (factor * x + (1.0 - factor) * other).clamp_(0.0, 1.0)


def rotate_hue(x: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """RGB ``x`` in [0, 1] with its HSV hue turned by ``shift`` [B, 1, 1, 1] (fractions of a turn)."""
    r, g, b = x[:, 0:1], x[:, 1:2], x[:, 2:3]
    value = x.amax(dim=1, keepdim=True)
    chroma = value - x.amin(dim=1, keepdim=True)
    grey_pixel = chroma == 0
    safe = torch.where(grey_pixel, torch.ones_like(chroma), chroma)
    # hue in sixths of a turn, by the largest channel (ties: red, then green, as the usual convention)
    sextant = torch.where(value == r, torch.remainder((g - b) / safe, 6.0),
                          torch.where(value == g, (b - r) / safe + 2.0, (r - g) / safe + 4.0))
    hue6 = torch.remainder(torch.where(grey_pixel, torch.zeros_like(sextant), sextant) + 6.0 * shift, 6.0)
    saturation = chroma / torch.where(value == 0, torch.ones_like(value), value)
    # back to RGB: channel n (R 5, G 3, B 1) is v - v s clip(min(k, 4 - k), 0, 1) with k = (n + h6) mod 6
    channels = []
    for n in (5.0, 3.0, 1.0):
        k = torch.remainder(n + hue6, 6.0)
        channels.append(value - value * saturation * torch.minimum(k, 4.0 - k).clamp(0.0, 1.0))
    return torch.cat(channels, dim=1).clamp_(0.0, 1.0)


def _adjust(x: torch.Tensor, which: int, factor: torch.Tensor) -> torch.Tensor:
    if which == 0:
        return (x * factor).clamp_(0.0, 1.0)
    if which == 1:
        return _blend(x, grey(x).mean(dim=(1, 2, 3), keepdim=True), factor)
    if which == 2:
        return _blend(x, grey(x), factor)
    return rotate_hue(x, factor)


def apply_jitter(x: torch.Tensor, factors: torch.Tensor, order: torch.Tensor,
                 enabled: list[int] | None = None) -> torch.Tensor:
    """Jitter float RGB images ``x`` [B, 3, H, W] in [0, 1]: image b takes adjustment ``order[b, s]`` at step s
    with ``factors[b, order[b, s]]``. Each step computes an adjustment for the batch and keeps it where it is
    that image's turn (``torch.where``: no host sync). ``enabled``: the adjustments with a non-zero strength
    (the others are the identity and are skipped)."""
    enabled = list(range(4)) if enabled is None else enabled
    b = x.shape[0]
    for step in range(4):
        for which in enabled:
            mine = (order[:, step] == which).view(b, 1, 1, 1)
            x = torch.where(mine, _adjust(x, which, factors[:, which].view(b, 1, 1, 1)), x)
    return x


class JitterStream:
    """The jitter draws of a loader: per epoch, one draw for every position, cached on the device."""

    def __init__(self, jitter: ColourJitter, n: int, seed: int, device: torch.device):
        from nasrepro.data.loader import derive_seed  # the loaders import this module

        self.jitter, self.n, self.seed, self.device = jitter, int(n), int(seed), device
        self._derive_seed = derive_seed
        self._enabled = jitter.enabled()
        self._cache: tuple[int, torch.Tensor, torch.Tensor] | None = None

    def _epoch(self, epoch: int) -> tuple[torch.Tensor, torch.Tensor]:
        if self._cache is None or self._cache[0] != epoch:
            g = torch.Generator().manual_seed(self._derive_seed(self.seed, epoch, "colour"))
            factors, order = self.jitter.draw(self.n, g)
            self._cache = (epoch, factors.to(self.device), order.to(self.device))
        return self._cache[1], self._cache[2]

    def __call__(self, x: torch.Tensor, epoch: int, positions) -> torch.Tensor:
        """``x`` (float RGB in [0, 1], the images at epoch positions ``positions``) jittered."""
        factors, order = self._epoch(int(epoch))
        idx = positions if torch.is_tensor(positions) else torch.as_tensor(np.asarray(positions, dtype=np.int64))
        idx = idx.to(self.device)
        return apply_jitter(x, factors[idx], order[idx], self._enabled)
