"""What depends on the task, classification or semantic segmentation, in one place: the loss, the per-step hit
count and the score of a batch. The labels say which it is: ``[B]`` class ids, or ``[B, H, W]`` per-pixel ids
(dense labels, thesis §4.4 / Table 4.5), where ``IGNORE_INDEX`` (255, Cityscapes' void) counts nowhere.

For segmentation the score is the batch's mIoU (a fraction, like accuracy), so Eq. 4.3's reward ("we replace
accuracy A(a) in equation 4.3 with mIOU") and every supernet ranking use it. Everything stays on the device.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from nasrepro.evaluation.segmentation import IGNORE_INDEX, confusion_matrix


def is_dense(labels: torch.Tensor) -> bool:
    return labels.dim() == 3


AUX_WEIGHT = 0.4  # DARTS §3.2 (and the HEP-NAS appendix): the auxiliary tower's loss weight


def primary(output: torch.Tensor | tuple[torch.Tensor, ...]) -> torch.Tensor:
    """The logits of a network's output: itself, or the first of ``(logits, aux_logits)`` (DARTS's evaluation
    network with its auxiliary head, in training mode)."""
    return output[0] if isinstance(output, tuple) else output


def task_loss(output: torch.Tensor | tuple[torch.Tensor, torch.Tensor], labels: torch.Tensor,
              aux_weight: float = AUX_WEIGHT, **options) -> torch.Tensor:
    """Cross-entropy; per pixel with the void label ignored for dense labels (a class id 255 of a
    classification set, ImageNet's for one, is a real class and is never ignored). An ``(logits, aux_logits)``
    output adds ``aux_weight`` times the auxiliary head's cross-entropy (``AUX_WEIGHT``)."""
    if is_dense(labels):
        options.setdefault("ignore_index", IGNORE_INDEX)
    if isinstance(output, tuple):
        logits, aux = output
        return F.cross_entropy(logits, labels, **options) + aux_weight * F.cross_entropy(aux, labels, **options)
    return F.cross_entropy(output, labels, **options)


def hits(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Correct predictions summed over the batch's samples; for dense labels each sample counts its fraction
    of correctly labelled valid pixels (so hits / samples is the mean pixel accuracy)."""
    pred = logits.argmax(1)
    if not is_dense(labels):
        return (pred == labels).sum()
    valid = labels != IGNORE_INDEX
    return (((pred == labels) & valid).flatten(1).sum(1) / valid.flatten(1).sum(1).clamp_min(1)).sum()


def batch_score(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Accuracy, or for dense labels the mIoU over the classes present, as a fraction in [0, 1] (a tensor)."""
    if not is_dense(labels):
        return (logits.argmax(1) == labels).float().mean()
    return miou_fraction(confusion_matrix(logits, labels, logits.shape[1]))


def miou_fraction(confusion: torch.Tensor) -> torch.Tensor:
    """mIoU in [0, 1] over the classes that occur, on the device (0 when none does)."""
    confusion = confusion.double()
    tp = confusion.diag()
    union = confusion.sum(0) + confusion.sum(1) - tp
    present = union > 0
    return (torch.where(present, tp / union.clamp_min(1), torch.zeros_like(tp)).sum()
            / present.sum().clamp_min(1)).float()
