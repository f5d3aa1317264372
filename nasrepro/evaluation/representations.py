"""Architecture representations for density estimation (thesis §5.3.3, §5.3.6, Table 5.2, App. II).

Every representation here is a vector per architecture whose *cosine distance* is the distance the
thesis uses, so the density sampler measures all of them the same way (Eq. 5.5):

``gradient`` (Eq. 5.5, "cosine distance of gradients calculated on the same batch of data")
    The gradient of the cross-entropy loss on one fixed batch with respect to every parameter of the
    supernet (or, with ``from_decision``, of its later layers only), flattened. A candidate operation
    the architecture does not use has no gradient and
    contributes zeros, so on NAS-Bench-Macro, where layers with different operations share no weights,
    those layers are orthogonal, as §5.4.2 states ("we consider gradients as orthogonal d(i, j) = 1
    when layers i and j do not share weights"). ``dim`` bounds the memory by a count sketch
    (``CountSketch``): inner products are preserved in expectation, with a relative error of about
    ``sqrt(2 / dim)``; ``dim=None`` keeps the exact gradient.

``representational`` (App. II, Eq. A II-1: linear CKA, distance 1 - CKA)
    For centred feature maps ``X1``, ``X2`` [B, features] of one layer on the same B images,
    ``CKA = ||X2ᵀ X1||²_F / (||X1ᵀ X1||_F ||X2ᵀ X2||_F)``, which equals the cosine similarity of the
    flattened centred Gram matrices ``K = Xc Xcᵀ`` [B, B]. So the representation of an architecture is
    its unit-normalised ``K`` of every selected layer, concatenated and scaled by ``1/sqrt(L)``: the
    cosine of two such vectors is the mean CKA over the L layers, and one minus it the mean CKA distance.
    The seed says only "a selected number of layers"; the layers are the hidden activations after the
    decisions listed in ``layers`` (assumption, default: after the middle decision and after the last,
    i.e. a mid-network and the last hidden feature map).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn

from nasrepro.errors import ConfigError
from nasrepro.evaluation.prefix import prefix_states, supports_prefix
from nasrepro.runtime import Runtime, batch_statistics
from nasrepro.spaces.base import Arch


class CountSketch:
    """A fixed random linear map ``S`` from the flattened parameters to ``dim`` buckets: coordinate ``i``
    of a parameter lands in bucket ``h(i)`` with sign ``s(i)`` (Charikar et al., 2002). ``E[<Sx, Sy>] =
    <x, y>``. Drawn from its own generator, so it never touches the run's random streams."""

    def __init__(self, params: Sequence[torch.Tensor], dim: int, seed: int = 0):
        if dim < 1:
            raise ConfigError(f"gradient_dim must be >= 1, got {dim}")
        gen = torch.Generator().manual_seed(seed)
        self.dim = int(dim)
        self.buckets = [torch.randint(0, dim, (p.numel(),), generator=gen).to(p.device) for p in params]
        self.signs = [(torch.randint(0, 2, (p.numel(),), generator=gen) * 2 - 1).to(p.device, torch.float32)
                      for p in params]

    def __call__(self, grads: Sequence[torch.Tensor | None]) -> torch.Tensor:
        out = torch.zeros(self.dim, device=self.buckets[0].device)
        for g, b, s in zip(grads, self.buckets, self.signs):
            if g is not None:
                out.index_add_(0, b, g.reshape(-1).float() * s)
        return out

    def matrix(self) -> torch.Tensor:
        """The dense map [dim, D] (for tests on small models)."""
        total = sum(len(b) for b in self.buckets)
        m = torch.zeros(self.dim, total)
        offset = 0
        for b, s in zip(self.buckets, self.signs):
            m[b.cpu(), torch.arange(offset, offset + len(b))] = s.cpu()
            offset += len(b)
        return m


def _flat(grads: Sequence[torch.Tensor | None], params: Sequence[torch.Tensor]) -> torch.Tensor:
    return torch.cat([(g if g is not None else torch.zeros_like(p)).reshape(-1).float()
                      for g, p in zip(grads, params)])


def collect_gradients(model: nn.Module, archs: Sequence[Arch], images: torch.Tensor, labels: torch.Tensor,
                      runtime: Runtime, dim: int | None = None, from_decision: int | None = None,
                      progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """Loss gradients [N, D] (or [N, dim] sketched) of every architecture on one batch, with batch
    statistics (running buffers untouched) and without touching the parameters' ``.grad``.

    ``from_decision=k`` keeps only the gradient of the layers after the first ``k`` decisions (and the
    head): the first ``k`` decisions then run once per shared prefix without autograd (the prefix protocol
    of ``nasrepro.evaluation.prefix``), which is what makes it cheap; the earlier parameters' blocks are 0."""
    params = [p for p in model.parameters() if p.requires_grad]
    sketch = CountSketch(params, dim) if dim is not None else None
    flatten = sketch if sketch is not None else (lambda grads: _flat(grads, params))
    model.eval()
    rows: list[torch.Tensor | None] = [None] * len(archs)

    def gradient(start: torch.Tensor, arch: Arch, first: int) -> torch.Tensor:
        with torch.enable_grad(), runtime.autocast():
            h = start
            for j in range(first, len(arch)):
                h = model.advance(h, j, arch[j])
            loss = nn.functional.cross_entropy(model.end(h), labels)
        return flatten(torch.autograd.grad(loss, params, allow_unused=True))

    with batch_statistics(model):
        if not from_decision:
            for i, arch in enumerate(archs):
                with runtime.autocast():
                    loss = nn.functional.cross_entropy(model(images, arch), labels)
                rows[i] = flatten(torch.autograd.grad(loss, params, allow_unused=True))
                if progress is not None:
                    progress(i + 1, len(archs))
        else:
            k = int(from_decision)
            if not supports_prefix(model) or not 1 <= k <= len(archs[0]):
                raise ConfigError(f"gradient_from={k} needs a supernet with the begin/advance/end protocol and "
                                  f"1 <= gradient_from <= {len(archs[0])} decisions; use null for every parameter")
            groups: dict[tuple[int, ...], list[int]] = {}
            for i, arch in enumerate(archs):
                groups.setdefault(tuple(int(a) for a in arch[:k]), []).append(i)
            prefixes = list(groups)
            states = prefix_states(model, prefixes, images)
            done = 0
            while True:
                with torch.no_grad(), runtime.autocast():  # the generator runs its layers inside next()
                    item = next(states, None)
                if item is None:
                    break
                g, cache = item
                for i in groups[prefixes[g]]:
                    rows[i] = gradient(cache[k], archs[i], k)
                done += len(groups[prefixes[g]])
                if progress is not None:
                    progress(done, len(archs))
    return torch.stack(rows).cpu().numpy()


def centred_gram(x: torch.Tensor) -> torch.Tensor:
    """``Xc Xcᵀ`` [B, B] of a batch of feature maps [B, ...], centred over the batch."""
    x = x.reshape(x.shape[0], -1).float()
    x = x - x.mean(0, keepdim=True)
    return x @ x.T


def linear_cka(x1: torch.Tensor, x2: torch.Tensor) -> float:
    """Eq. A II-1 on two [B, features] matrices, centred over the batch here (reference for tests)."""
    a = x1.reshape(x1.shape[0], -1).double()
    b = x2.reshape(x2.shape[0], -1).double()
    a, b = a - a.mean(0), b - b.mean(0)
    return float(torch.linalg.matrix_norm(b.T @ a) ** 2
                 / (torch.linalg.matrix_norm(a.T @ a) * torch.linalg.matrix_norm(b.T @ b)))


def default_cka_layers(decisions: int) -> list[int]:
    """The assumption of the module docstring: after the middle decision and after the last."""
    return sorted({max(1, decisions // 2), decisions})


@torch.no_grad()
def collect_cka_features(model: nn.Module, archs: Sequence[Arch], images: torch.Tensor, runtime: Runtime,
                         layers: Sequence[int] | None = None,
                         progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """[N, L·B²] vectors whose cosine similarity is the mean linear CKA over ``layers`` (module docstring).
    ``layers`` counts decisions: ``j`` is the activation after the first ``j`` decisions (the shared-prefix
    protocol of ``nasrepro.evaluation.prefix``, which also makes shared prefixes cost nothing)."""
    if not supports_prefix(model):
        raise ConfigError("representation 'representational' reads hidden feature maps through the supernet's "
                          "begin/advance/end protocol, which this space's supernet does not implement; "
                          "use representation 'functional' or 'gradient' for it")
    decisions = len(archs[0])
    taps = list(default_cka_layers(decisions) if layers is None else layers)
    if not taps or not all(1 <= int(t) <= decisions for t in taps):
        raise ConfigError(f"cka_layers must name decisions in [1, {decisions}], got {list(taps)}")
    model.eval()
    out: list[torch.Tensor | None] = [None] * len(archs)
    with batch_statistics(model), runtime.autocast():
        for i, cache in prefix_states(model, archs, images, progress):
            grams = [centred_gram(cache[int(t)]) for t in taps]
            out[i] = torch.cat([(k / k.norm().clamp_min(1e-30)).reshape(-1) for k in grams]) / len(taps) ** 0.5
    return torch.stack(out).cpu().numpy()
