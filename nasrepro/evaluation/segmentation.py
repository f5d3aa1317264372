"""Mean intersection over union for semantic segmentation (thesis §4.4, Table 4.5: mIoU replaces accuracy in
Eq. 4.3), from a confusion matrix accumulated on the device; pixels labelled ``ignore_index`` (Cityscapes: 255)
count nowhere. A class absent from both prediction and target has no IoU and is left out of the mean (the
Cityscapes convention; checked against torchmetrics)."""

from __future__ import annotations

import torch

IGNORE_INDEX = 255


def confusion_matrix(logits_or_pred: torch.Tensor, target: torch.Tensor, num_classes: int,
                     ignore_index: int = IGNORE_INDEX) -> torch.Tensor:
    """[C, C] counts (row: target class, column: predicted class) of the valid pixels; ``logits_or_pred`` is
    [B, C, H, W] logits or [B, H, W] class ids."""
    pred = logits_or_pred.argmax(1) if logits_or_pred.dim() == target.dim() + 1 else logits_or_pred
    valid = target != ignore_index
    index = target[valid].long() * num_classes + pred[valid].long()
    return torch.bincount(index, minlength=num_classes * num_classes).view(num_classes, num_classes)


def iou_per_class(confusion: torch.Tensor) -> torch.Tensor:
    """IoU (%) of every class, NaN where the class is in neither prediction nor target."""
    confusion = confusion.double()
    tp = confusion.diag()
    union = confusion.sum(0) + confusion.sum(1) - tp
    return torch.where(union > 0, 100.0 * tp / union.clamp_min(1), torch.full_like(tp, float("nan")))


def mean_iou(confusion: torch.Tensor) -> float:
    """mIoU (%) over the classes that occur."""
    iou = iou_per_class(confusion)
    return float(iou[~iou.isnan()].mean()) if bool((~iou.isnan()).any()) else float("nan")
