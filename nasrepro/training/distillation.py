"""Search-space Mutual Distillation (HEP-NAS, seed 002 Eqs. 6-7).

``L(M_m) = CE(p(x; M_m), y) + L_dis(M_m, M_opt) + mean_{i != m} L_dis(M_m, M_i)`` over the previous optimum
and the sibling sub-supernets. Eq. 6 as printed is ``sum_c p_student log(p_student / p_teacher)``, i.e.
KL(student || teacher); the public code computes ``KLDivLoss(log_softmax(student), softmax(teacher))``,
KL(teacher || student), at temperature 1 and weight 1 with the teachers under ``no_grad``
(``../shared/reference/related-systems.md`` §1.2). ``direction`` picks one: ``teacher-student`` (the code,
default) or ``student-teacher`` (the print). Both average over the batch.

HEP-NAS Table 7's variants: A (no guidance), B (previous optimum only), C (siblings only), D (both).
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

DIRECTIONS = ("teacher-student", "student-teacher")
VARIANTS = {"A": (False, False), "B": (True, False), "C": (False, True), "D": (True, True)}


def distillation(student: torch.Tensor, teacher: torch.Tensor, direction: str = "teacher-student") -> torch.Tensor:
    """Eq. 6 between logits [B, C], summed over classes and averaged over the batch; the teacher is detached."""
    log_s = F.log_softmax(student.float(), dim=-1)
    log_t = F.log_softmax(teacher.detach().float(), dim=-1)
    if direction == "teacher-student":
        return (log_t.exp() * (log_t - log_s)).sum(-1).mean()
    if direction == "student-teacher":
        return (log_s.exp() * (log_s - log_t)).sum(-1).mean()
    raise ValueError(f"distillation direction must be one of {DIRECTIONS}, got {direction!r}")


def smd_loss(logits: torch.Tensor, labels: torch.Tensor, previous: torch.Tensor | None,
             siblings: Sequence[torch.Tensor], direction: str = "teacher-student") -> torch.Tensor:
    """Eq. 7: cross-entropy plus distillation from the previous optimum (``previous``; None: none) and the
    mean distillation from the sibling sub-supernets (empty: none)."""
    loss = F.cross_entropy(logits, labels)
    if previous is not None:
        loss = loss + distillation(logits, previous, direction)
    if siblings:
        loss = loss + sum(distillation(logits, s, direction) for s in siblings) / len(siblings)
    return loss
