"""Surrogates for query-based BO: the GP of ANASOD-BO and BANANAS's neural ensemble predictor (NEP).

* ``fit_gp``: BoTorch's ``SingleTaskGP`` with a Matern-5/2 kernel, no ARD, lengthscale in [0.01, 0.5],
  outputscale in [0.5, 5] and noise variance in [1e-6, 1e-1], fitted by the log-marginal likelihood
  (seed 004 App. A, "ANASOD-BO"; the paper used gpytorch, on which BoTorch is built).
* ``NeuralEnsemble``: BANANAS's predictor (White et al. 2021 §5): an ensemble of 5 fully connected
  networks, 10 layers of width 20, Adam lr 0.01, mean absolute error, 200 epochs, batch 32. Its mean and
  spread over members stand in for the GP posterior, so NEP-BO is ANASOD-BO with the GP swapped (the
  bottom row of seed 004 Fig. 3).
* ``expected_improvement``: EI for minimisation from a Gaussian posterior (mean, std), for the ensemble;
  the GP uses BoTorch's ``LogExpectedImprovement``, whose arg max is the same.

Targets are standardised log errors (App. A: log-transform, then de-mean and divide by the std).
"""

from __future__ import annotations

import warnings

import numpy as np
import torch


def standardise_log(y: np.ndarray) -> tuple[np.ndarray, float, float]:
    """log(y), de-meaned and divided by its standard deviation (1 when all values are equal)."""
    z = np.log(np.maximum(np.asarray(y, dtype=np.float64), 1e-12))
    mu, sd = float(z.mean()), float(z.std())
    sd = sd if sd > 1e-12 else 1.0
    return (z - mu) / sd, mu, sd


def make_gp(x: torch.Tensor, y: torch.Tensor):
    """The ANASOD-BO GP on inputs ``x`` (n x d, in [0, 1]) and standardised targets ``y`` (n)."""
    from botorch.models import SingleTaskGP
    from gpytorch.constraints import Interval
    from gpytorch.kernels import MaternKernel, ScaleKernel
    from gpytorch.likelihoods import GaussianLikelihood

    covar = ScaleKernel(MaternKernel(nu=2.5, lengthscale_constraint=Interval(0.01, 0.5)),
                        outputscale_constraint=Interval(0.5, 5.0))
    likelihood = GaussianLikelihood(noise_constraint=Interval(1e-6, 1e-1))
    return SingleTaskGP(x, y.unsqueeze(-1), covar_module=covar, likelihood=likelihood, outcome_transform=None)


def fit_gp(x: np.ndarray, y: np.ndarray):
    return _fit(make_gp(torch.as_tensor(x, dtype=torch.float64), torch.as_tensor(y, dtype=torch.float64)))


def fit_gp_with_kernel(x: np.ndarray, y: np.ndarray, covar):
    """A GP with the given GPyTorch kernel (BANAT's hierarchical WL kernel) and the same noise bounds,
    every hyperparameter (the kernel's lambda_l included) fitted by the marginal likelihood."""
    from botorch.models import SingleTaskGP
    from gpytorch.constraints import Interval
    from gpytorch.likelihoods import GaussianLikelihood

    gp = SingleTaskGP(torch.as_tensor(x, dtype=torch.float64), torch.as_tensor(y, dtype=torch.float64).unsqueeze(-1),
                      covar_module=covar, likelihood=GaussianLikelihood(noise_constraint=Interval(1e-6, 1e-1)),
                      outcome_transform=None)
    return _fit(gp)


def _fit(gp):
    from botorch.fit import fit_gpytorch_mll
    from gpytorch.mlls import ExactMarginalLogLikelihood

    mll = ExactMarginalLogLikelihood(gp.likelihood, gp)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # BoTorch warns when L-BFGS stops early; the fit is still usable
        fit_gpytorch_mll(mll)
    return gp.eval()


def gp_log_expected_improvement(gp, x: np.ndarray, best: float) -> np.ndarray:
    """log EI (minimisation) of candidates ``x`` under the fitted GP: BoTorch's ``LogExpectedImprovement``,
    the logarithm of the analytic EI computed without its underflow (Ament et al. 2023), so its arg max is
    EI's, also where EI itself rounds to 0 for every candidate."""
    from botorch.acquisition.analytic import LogExpectedImprovement

    ei = LogExpectedImprovement(gp, best_f=best, maximize=False)
    with torch.no_grad():
        return ei(torch.as_tensor(x, dtype=torch.float64).unsqueeze(1)).numpy()


def gp_posterior_mean(gp, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return gp.posterior(torch.as_tensor(x, dtype=torch.float64)).mean.squeeze(-1).numpy()


def expected_improvement(mean: np.ndarray, std: np.ndarray, best: float) -> np.ndarray:
    """EI of a Gaussian N(mean, std^2) below ``best``: (best - mean) Phi(z) + std phi(z), z = (best - mean)/std."""
    from scipy.special import ndtr

    mean, std = np.asarray(mean, dtype=np.float64), np.maximum(np.asarray(std, dtype=np.float64), 1e-12)
    z = (best - mean) / std
    return (best - mean) * ndtr(z) + std * np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)


class NeuralEnsemble:
    """``members`` MLPs trained at once (batched matmuls): one Adam over the stacked weights."""

    def __init__(self, members: int = 5, layers: int = 10, width: int = 20, lr: float = 0.01, epochs: int = 200,
                 batch: int = 32, seed: int = 0):
        self.members, self.layers, self.width = int(members), int(layers), int(width)
        self.lr, self.epochs, self.batch, self.seed = float(lr), int(epochs), int(batch), int(seed)

    def _init(self, d: int, gen: torch.Generator) -> list[tuple[torch.Tensor, torch.Tensor]]:
        dims = [d] + [self.width] * (self.layers - 1) + [1]
        params = []
        for a, b in zip(dims[:-1], dims[1:]):
            bound = 1.0 / np.sqrt(a)  # PyTorch's nn.Linear initialisation
            w = (torch.rand(self.members, a, b, generator=gen, dtype=torch.float64) * 2 - 1) * bound
            bias = (torch.rand(self.members, 1, b, generator=gen, dtype=torch.float64) * 2 - 1) * bound
            params.append((w.requires_grad_(), bias.requires_grad_()))
        return params

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.expand(self.members, *x.shape)
        for i, (w, b) in enumerate(self.params):
            h = torch.baddbmm(b, h, w)
            if i < len(self.params) - 1:
                h = torch.relu(h)
        return h.squeeze(-1)  # members x n

    def fit(self, x: np.ndarray, y: np.ndarray) -> "NeuralEnsemble":
        gen = torch.Generator().manual_seed(self.seed)
        xt = torch.as_tensor(x, dtype=torch.float64)
        yt = torch.as_tensor(y, dtype=torch.float64)
        self.params = self._init(xt.shape[1], gen)
        opt = torch.optim.Adam([p for pair in self.params for p in pair], lr=self.lr)
        n = len(xt)
        for _ in range(self.epochs):
            order = torch.randperm(n, generator=gen)
            for start in range(0, n, self.batch):
                idx = order[start:start + self.batch]
                loss = (self._forward(xt[idx]) - yt[idx]).abs().mean()  # MAE (BANANAS)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
        return self

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with torch.no_grad():
            out = self._forward(torch.as_tensor(x, dtype=torch.float64)).numpy()
        return out.mean(axis=0), out.std(axis=0)


__all__ = ["NeuralEnsemble", "expected_improvement", "fit_gp", "fit_gp_with_kernel", "gp_posterior_mean", "gp_log_expected_improvement", "make_gp",
           "standardise_log"]
