"""Gradient matching (GM-NAS, Hu et al. 2022; HEP-NAS Eq. 1): how alike the shared weights' gradients are
when only one operation is enabled on an edge.

For every kept operation o of edge e (a row of the mask, ``RelaxedSupernet.rows``: NB201's edges, or the DARTS
normal cell's) the supernet runs with e restricted to o; the gradient of the training loss is taken over every
weight except edge e's own operations (their gradients exist only for o, and the
public code excludes them), and the cosine similarity of those gradients is averaged over mini-batches. The
architecture weights stay as trained (the relaxed forward renormalises over the one kept operation, so e
passes o's output at weight 1).
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import torch
import torch.nn.functional as F

from nasrepro.spaces.relaxed import RelaxedSupernet


def gradient_similarity(model: RelaxedSupernet, edge: int, batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
                        autocast=None) -> tuple[list[int], np.ndarray]:
    """(kept operations of mask row ``edge``, their [n, n] cosine-similarity matrix averaged over ``batches``)."""
    rows = model.rows()
    ops = [int(o) for o in torch.nonzero(rows[edge]).flatten().tolist()]
    own = {id(p) for m in model.row_modules(edge) for p in m.parameters()}
    shared = [p for p in model.weight_parameters() if id(p) not in own and p.requires_grad]
    saved = model.keep.clone()
    total, count = np.zeros((len(ops), len(ops))), 0
    try:
        for images, labels in batches:
            grads = []
            for o in ops:
                only = saved.clone()
                view = only.view(rows.shape)
                view[edge] = False
                view[edge, o] = True
                model.keep.copy_(only)
                with autocast() if autocast is not None else torch.autocast("cpu", enabled=False):
                    loss = F.cross_entropy(model(images), labels)
                g = torch.autograd.grad(loss, shared, allow_unused=True)
                grads.append(torch.cat([(z if z is not None else torch.zeros_like(p)).flatten().float()
                                        for z, p in zip(g, shared)]))
            unit = F.normalize(torch.stack(grads), dim=1)
            total += (unit @ unit.T).cpu().double().numpy()
            count += 1
    finally:
        model.keep.copy_(saved)
    return ops, total / max(1, count)
