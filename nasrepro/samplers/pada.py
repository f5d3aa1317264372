"""PA&DA: jointly sampling paths and data by gradient-norm importance (Lu et al., CVPR 2023), the "PA&DA"
rows of thesis Table 5.5 (§5.4: "sampling probability adjustments based on gradient norm of path and data").

PA&DA lowers the variance of the supernet's gradient by sampling what has large gradients more often
(importance sampling with probabilities proportional to gradient norms, the variance-minimising choice).
As the paper's public code (``train_panda_201.py``) does it:

**Paths.** Every step, for each decision d of the trained path, the gradient norm g_d of the chosen
candidate's parameters is measured after the backward pass. With ``share: true`` (the code's reading: one
categorical over operations for every NB201 edge) the norms of the decisions that chose candidate c are
averaged into the step's norm of c; a running value per candidate is then halved towards it,
``G_c <- (G_c + g_c) / 2``, only for the candidates the step used. At the end of epoch e the candidate
probabilities become ``q = τ_e · G / ΣG + (1 - τ_e) · uniform`` with ``τ_e = e / E`` (E epochs), and G
restarts from zero. ``share: false`` keeps one such categorical per decision (spaces whose decisions
differ). A candidate without parameters (pooling, skip, a mid-stage ID) has no gradient, so its
probability keeps only the uniform share, as in the code.

**Data.** Every step also records each sample's gradient norm with respect to the logits,
``||softmax(z) - onehot(y)||``, an upper-bound proxy of the per-sample gradient norm (Katharopoulos &
Fleuret, 2018, as PA&DA uses it). At the end of epoch e, the next epoch's samples are drawn *with
replacement* from ``p = τ_e · s / Σs + (1 - τ_e) / n``, where s is each sample's mean norm over the epoch
(0 for samples not drawn in it), and the epoch keeps its length n. The loader's epoch order is replaced
(``nasrepro.data.loader.EpochOrder``); the first epoch uses the loader's own order.

**Architectures.** A path is drawn with probability ``∏_d q_d(a_d)`` renormalised over the run's
population (for NB201, all 15,625 cells: exactly independent per-edge draws as in the code; for a
budget-feasible MobileNet population, the same product restricted to the feasible set).

What is approximated, and why:

- g_d sums the norms of every parameter tensor of the candidate (the NB201 code reads the norm of its
  convolution's weight and bias only; in other spaces a candidate is more than one convolution);
- s is the plain mean of a sample's norms within the epoch (the code averages pairwise in the order they
  arrive, which weighs a sample's later draws more; the two differ only for samples drawn three or more
  times in an epoch);
- no importance weights rescale the loss, as in the code (PA&DA trains on the biased distribution);
- the code's gradient clipping (5) is part of its training recipe, not of the sampler: set it in the
  setting if a protocol needs it.

Everything stays on the device during the step (no host sync): the norms accumulate in device tensors that
are read once per epoch. The state holds them, so a run resumed at an epoch boundary draws the same paths
and the same data.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from nasrepro.errors import ConfigError
from nasrepro.samplers.base import Sampler
from nasrepro.samplers.schedules import SamplerConfigError, from_state, to_state


class PadaSampler(Sampler):
    name = "pada"
    summary = "importance sampling of paths and data by gradient norm (PA&DA)"
    phase_plan = "sample"
    uses_reward = False
    guides_selection = False  # importance says where gradients are large, not which architecture is good
    observes_steps = True

    def __init__(self, encodings: np.ndarray, choices: list[int], share: bool = True, data: bool = True):
        super().__init__(encodings, choices)
        if share and len(set(self.choices)) != 1:
            raise SamplerConfigError(f"pada share: true needs the same number of choices at every decision, got "
                                     f"{sorted(set(self.choices))}; use share: false")
        self.share, self.data = bool(share), bool(data)
        self.width = max(self.choices)
        rows = 1 if self.share else len(self.choices)
        self.q = np.zeros((rows, self.width))
        for r in range(rows):
            self.q[r, : self.choices[0 if self.share else r]] = 1.0 / self.choices[0 if self.share else r]
        self._cumulative = None
        self.grad = None  # [rows, width] running candidate norms G on the device
        self.sample_sum = self.sample_count = None  # [n] per-sample norm sums and counts on the device
        self.model = None

    # ------------------------------------------------------------------ wiring to the trainer
    def bind(self, trainer) -> None:
        if getattr(trainer, "world", 1) > 1:
            raise ConfigError("the pada sampler measures per-sample norms in one process; run it without torchrun")
        model = trainer.model
        try:
            self._params = [[model.choice_parameters(d, c) for c in range(k)] for d, k in enumerate(self.choices)]
        except (NotImplementedError, AttributeError) as exc:
            raise ConfigError(f"the pada sampler needs a supernet that names each candidate's parameters: {exc} "
                              "(NB201 and MobileNet supernets do)") from None
        device = trainer.runtime.device
        if self.grad is None:
            self.grad = torch.zeros(self.q.shape, device=device)
        if self.data and self.sample_sum is None:
            self.sample_sum = torch.zeros(trainer.train.n, device=device)
            self.sample_count = torch.zeros(trainer.train.n, device=device)
        self.model = model

    def begin_epoch(self, epoch: int, epochs: int, rng: np.random.Generator) -> np.ndarray | None:
        """At the start of epoch ``epoch`` (> 0): fold the previous epoch's norms into the path
        probabilities and draw this epoch's samples (module docstring); epoch 0 keeps the defaults."""
        if epoch == 0 or self.grad is None:
            return None
        tau = (epoch - 1) / epochs
        grad = self.grad.double().cpu().numpy()  # once per epoch: the one host read of the norms
        for r in range(self.q.shape[0]):
            k = self.choices[0 if self.share else r]
            uniform = np.full(k, 1.0 / k)
            total = grad[r, :k].sum()
            self.q[r, :k] = tau * grad[r, :k] / total + (1 - tau) * uniform if total > 0 else uniform
        self.grad.zero_()
        self._cumulative = None
        if not self.data:
            return None
        s = (self.sample_sum / self.sample_count.clamp(min=1)).double().cpu().numpy()
        self.sample_sum.zero_()
        self.sample_count.zero_()
        n = s.size
        p = tau * s / s.sum() + (1 - tau) / n if s.sum() > 0 else np.full(n, 1.0 / n)
        return rng.choice(n, size=n, replace=True, p=p / p.sum())

    def observe_step(self, arch, logits: torch.Tensor, labels: torch.Tensor, sample_ids: torch.Tensor) -> None:
        """After a step's backward pass: the chosen candidates' and the samples' gradient norms (on the device)."""
        norms = []
        for d, c in enumerate(arch):
            grads = [p.grad for p in self._params[d][int(c)] if p.grad is not None]
            norms.append(torch.stack(torch._foreach_norm(grads)).sum() if grads else self.grad.new_zeros(()))
        g = torch.stack(norms).float()
        arch_t = torch.as_tensor(arch, device=g.device, dtype=torch.int64)
        if self.share:
            step = torch.zeros(self.width, device=g.device).index_add_(0, arch_t, g)
            used = torch.zeros(self.width, device=g.device).index_add_(0, arch_t, torch.ones_like(g))
            step = (step / used.clamp(min=1))[None]
            used = (used > 0)[None]
        else:
            step = torch.zeros_like(self.grad).scatter_(1, arch_t[:, None], g[:, None])
            used = torch.zeros_like(self.grad, dtype=torch.bool).scatter_(1, arch_t[:, None], True)
        self.grad.copy_(torch.where(used, (self.grad + step) / 2, self.grad))
        if self.data:
            with torch.no_grad():
                z = logits.detach().float()
                norm = torch.linalg.vector_norm(z.softmax(1) - F.one_hot(labels, z.shape[1]).float(), dim=1)
            self.sample_sum.index_add_(0, sample_ids, norm)
            self.sample_count.index_add_(0, sample_ids, torch.ones_like(norm))

    # ------------------------------------------------------------------ drawing paths
    def path_probabilities(self) -> np.ndarray:
        """p(a) ∝ ∏_d q_d(a_d) over the population."""
        logq = np.log(np.maximum(self.q, 1e-300))
        rows = np.zeros(len(self.choices), dtype=np.int64) if self.share else np.arange(len(self.choices))
        logp = logq[rows[None, :], self.encodings].sum(1)
        p = np.exp(logp - logp.max())
        return p / p.sum()

    def sample(self, rng: np.random.Generator) -> int:
        if self._cumulative is None:
            self._cumulative = np.cumsum(self.path_probabilities())
        return int(min(np.searchsorted(self._cumulative, rng.random() * self._cumulative[-1], side="right"),
                       self.population_size - 1))

    def diagnostics(self, indices: np.ndarray) -> dict[str, Any]:
        return {"pada_path_probabilities": self.q.round(6).tolist()}

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state.update({"q": to_state(self.q),
                      "grad": None if self.grad is None else self.grad.detach().cpu().clone(),
                      "sample_sum": None if self.sample_sum is None else self.sample_sum.detach().cpu().clone(),
                      "sample_count": None if self.sample_count is None else self.sample_count.detach().cpu().clone()})
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.q = from_state(state["q"], np.float64)
        self._cumulative = None
        for key in ("grad", "sample_sum", "sample_count"):
            value = state.get(key)
            if value is not None and getattr(self, key) is not None:
                getattr(self, key).copy_(value)
