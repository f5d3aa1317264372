"""Balanced mixture of supernets (thesis §2.2.2, Eqs. 2.2-2.3, Fig. 2.4; Roshtkhari et al., 2023).

M independent weight sets w_m share one search space. Every step draws a configuration c uniformly
and then a weight set m from the balanced conditional p(m|c); the trainer trains f_c(., w_m) and
feeds back its accuracy on one validation mini-batch, which updates the moving average (Eq. 2.2)

    a_{c,m} <- beta * a_{c,m} + (1 - beta) * Acc(f_c(x, w_m), y).

The joint p(c, m) is the tau-softmax of a (Eq. 2.3), balanced by Iterative Proportional Fitting
until KL(p(m) || uniform) < delta = 1e-4 (§2.2.2), so that every weight set receives the same share
of training while each specialises on the configurations it is best at. Tau falls linearly from 1 to
1/(100 M) over training (§2.4), and the epochs scale with M (§2.4: "proportional to number of
models"), through ``epoch_scale``.

The trainer sees the M * N (weight set, architecture) pairs as its paths: path m * N + i trains
architecture i with weight set m (``nasrepro.spaces.mixture``). After training every configuration
is scored with its most probable weight set, argmax_m p(m|c) (§2.2.2), which ``weight_set_of`` gives.

With M = 1 there is no choice of m, so a step draws exactly what uniform sampling draws (one
``rng.integers(N)``): the run is SPOS, step for step (thesis §2.3.2: "The case of M = 1 is equivalent
to SPOS").

The seed states neither beta nor the initial a_{c,m}. beta is the setting's EMA factor (0.95, the
harness default from paper App. B.1, an assumption here). As in the Boltzmann sampler, a pair's first
reward initialises its average, and a pair not trained yet is scored with the mean of its
configuration's trained pairs (of all trained pairs while its configuration has none; 0 before any
reward), so it is neither favoured nor penalised (assumption). Without that, Eq. 2.2 taken literally
from a = 0 keeps untried pairs at 0 while tau falls to 1/(100 M), and each configuration would stay
with the first weight set that happened to train it. The printed p(m|c) = p(c,m) / sum_c p(c,m) normalises over the wrong index for a
conditional on c; we use p(c,m) / sum_m p(c,m).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import logsumexp

from nasrepro.errors import ConfigError
from nasrepro.samplers.base import Sampler
from nasrepro.samplers.schedules import from_state, to_state

IPF_TOLERANCE = 1e-4  # thesis §2.2.2: "IPF terminates when the KL-distance falls below delta = 0.0001"


def balanced_log_joint(log_p: np.ndarray, tol: float = IPF_TOLERANCE, max_iter: int = 1000) -> np.ndarray:
    """Iterative Proportional Fitting of a joint [C, M] (in log space, so a small tau cannot underflow):
    columns to 1/M and rows to 1/C, alternately, until KL(p(m) || uniform) < ``tol``. It ends on a row
    step, so p(c) is exactly uniform and p(m|c) = C * p(c, m)."""
    n_c, n_m = log_p.shape
    log_p = log_p - logsumexp(log_p)
    for _ in range(max_iter):
        log_p = log_p - logsumexp(log_p, axis=0, keepdims=True) - np.log(n_m)
        log_p = log_p - logsumexp(log_p, axis=1, keepdims=True) - np.log(n_c)
        if marginal_kl(log_p) < tol:
            break
    return log_p


def marginal_kl(log_p: np.ndarray) -> float:
    """KL(p(m) || uniform) of a log joint [C, M]."""
    log_pm = logsumexp(log_p, axis=0)
    return float(np.sum(np.exp(log_pm) * (log_pm + np.log(log_p.shape[1]))))


class BalancedMixtureSampler(Sampler):
    name = "balanced-mixture"
    summary = "uniform configurations, each trained by one of M weight sets drawn from a balanced p(m|c)"
    phase_plan = "sample"
    structure = "partitioned"  # paper Table 5: "Flat (partitioned)"

    def __init__(self, encodings: np.ndarray, choices: list[int], models: int = 4, beta: float = 0.95,
                 tau_start: float = 1.0, tau_end: float | None = None, ipf_tolerance: float = IPF_TOLERANCE):
        super().__init__(encodings, choices)
        if int(models) < 1:
            raise ConfigError(f"sampler option models must be >= 1 (the number of weight sets M), got {models}")
        if not 0.0 <= beta < 1.0:
            raise ConfigError(f"sampler option beta must be in [0, 1), got {beta}")
        self.weight_sets = int(models)
        self.epoch_scale = float(self.weight_sets)  # §2.4: epochs proportional to M
        self.beta = float(beta)
        self.tau_start = float(tau_start)
        self.tau_end = 1.0 / (100.0 * self.weight_sets) if tau_end is None else float(tau_end)  # §2.4
        if not 0.0 < self.tau_end <= self.tau_start:
            raise ConfigError(f"mixture temperatures need 0 < tau_end <= tau_start, got {self.tau_end}, {self.tau_start}")
        self.ipf_tolerance = float(ipf_tolerance)
        self.acc = np.zeros((self.population_size, self.weight_sets))  # a_{c,m}, Eq. 2.2
        self.trained = np.zeros(self.acc.shape, dtype=bool)  # pairs with a reward so far
        self._conditional: np.ndarray | None = None  # cached p(m|c) for the current a and tau

    @property
    def tau(self) -> float:
        return self.tau_start + (self.tau_end - self.tau_start) * self.progress

    def set_progress(self, fraction: float) -> None:
        before = self.progress
        super().set_progress(fraction)
        if self.progress != before:
            self._conditional = None

    def estimates(self) -> np.ndarray:
        """a_{c,m}, untrained pairs filled with their configuration's mean (see the module docstring)."""
        if self.trained.all():
            return self.acc
        count = self.trained.sum(axis=1, keepdims=True)
        overall = self.acc[self.trained].mean() if self.trained.any() else 0.0
        row_mean = np.where(count > 0, (self.acc * self.trained).sum(axis=1, keepdims=True) / np.maximum(count, 1),
                            overall)
        return np.where(self.trained, self.acc, row_mean)

    def conditional(self) -> np.ndarray:
        """p(m|c) [C, M] of the balanced joint (Eq. 2.3 then IPF), at the current temperature."""
        if self._conditional is None:
            log_joint = balanced_log_joint(self.estimates() / self.tau, self.ipf_tolerance)
            self._conditional = np.exp(log_joint - logsumexp(log_joint, axis=1, keepdims=True))
        return self._conditional

    def sample(self, rng: np.random.Generator) -> int:
        n = self.population_size
        c = int(rng.integers(n))  # exactly the uniform draw, so M = 1 is SPOS step for step
        if self.weight_sets == 1:
            return c
        cdf = np.cumsum(self.conditional()[c])
        m = min(int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right")), self.weight_sets - 1)
        return m * n + c

    def update(self, index: int, reward: float) -> None:
        m, c = divmod(int(index), self.population_size)
        r = float(reward)
        self.acc[c, m] = self.beta * self.acc[c, m] + (1.0 - self.beta) * r if self.trained[c, m] else r
        self.trained[c, m] = True
        self._conditional = None

    def weight_set_of(self) -> np.ndarray:
        """The weight set that scores each configuration after training: argmax_m p(m|c) (§2.2.2)."""
        return np.argmax(self.conditional(), axis=1).astype(np.int64)

    def proxy_order(self) -> np.ndarray:
        """§2.2.2: "use p(c, m) as a proxy to select the correct model and a_{c,m} to rank configurations":
        configurations by the moving-average accuracy of their most probable weight set, best first."""
        rows = np.arange(self.population_size)
        acc = self.estimates()[rows, self.weight_set_of()]
        return np.lexsort((rows, -acc))

    def per_arch(self) -> dict[str, np.ndarray]:
        rows = np.arange(self.population_size)
        best = self.weight_set_of()
        return {"weight_set": best, "weight_set_probability": self.conditional()[rows, best],
                "mixture_ema_acc": self.estimates()[rows, best]}

    def diagnostics(self, indices: np.ndarray) -> dict[str, Any]:
        share = np.bincount(self.weight_set_of(), minlength=self.weight_sets) / self.population_size
        log_joint = balanced_log_joint(self.estimates() / self.tau, self.ipf_tolerance)
        return {"weight_sets": self.weight_sets, "mixture_tau_end": self.tau,
                "mixture_marginal_kl": marginal_kl(log_joint),
                "weight_set_shares": " ".join(f"{s:.3f}" for s in share)}

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "acc": to_state(self.acc), "trained": to_state(self.trained)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        acc = from_state(state["acc"], np.float64)
        if acc.shape != self.acc.shape:
            raise ConfigError(f"mixture sampler state holds {acc.shape[1]} weight sets over {acc.shape[0]} "
                              f"architectures, this run {self.weight_sets} over {self.population_size}")
        self.acc = acc
        self.trained = from_state(state["trained"], bool)
        self._conditional = None
