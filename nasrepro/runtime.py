"""Device, precision and determinism settings of every job, shared by training and evaluation."""

from __future__ import annotations

import contextlib
import os
import random
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import torch
from torch import nn

from nasrepro.errors import ConfigError


@dataclass(frozen=True)
class Runtime:
    device: torch.device
    amp_dtype: torch.dtype | None  # bf16 autocast on CUDA, none (fp32) on CPU
    channels_last: bool
    deterministic: bool
    compile: bool = False
    cuda_graphs: bool = False  # capture single-path steps on CUDA (nasrepro.training.graphs)

    def autocast(self, cache_enabled: bool = True) -> contextlib.AbstractContextManager:
        """bf16 autocast on CUDA; ``cache_enabled=False`` inside a CUDA graph (and the eager steps that must
        run the same kernels), as torch requires for capture."""
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype, cache_enabled=cache_enabled)

    def prepare(self, model: nn.Module) -> nn.Module:
        model = model.to(self.device)
        if self.channels_last:
            model = model.to(memory_format=torch.channels_last)
        if self.compile:
            from nasrepro.compile_blocks import compile_blocks

            compile_blocks(model)
        return model


def make_runtime(device: str = "auto", deterministic: bool = False, compile: bool = False,
                 channels_last: bool | None = None, cuda_graphs: bool = False) -> Runtime:
    """``channels_last`` None: on CUDA only (where cuDNN wants NHWC); the laptop preset asks for it on CPU too,
    where oneDNN's NHWC convolutions measured 1.4-1.6x faster on the NB201 supernet (2 cores)."""
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError("config key device is 'cuda' but no CUDA device is visible; set device: cpu or auto")
    dev = torch.device(device)
    if dev.type == "cuda" and dev.index is None and "LOCAL_RANK" in os.environ:
        # torchrun: one process per GPU of the node
        dev = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
        torch.cuda.set_device(dev)
    if deterministic and dev.type == "cuda":
        # CPU kernels used here are already deterministic, and this call imports torch's compiler stack
        # (seconds per job), so it is only made where it changes results.
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    elif dev.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    on_gpu = dev.type == "cuda"
    return Runtime(dev, torch.bfloat16 if on_gpu else None,
                   channels_last=on_gpu if channels_last is None else bool(channels_last),
                   deterministic=deterministic, compile=compile, cuda_graphs=bool(cuda_graphs) and on_gpu)


def runtime_from_config(cfg: dict) -> Runtime:
    """The runtime a job of the resolved config runs with (keys ``device``, ``deterministic``, ``compile``,
    ``channels_last``, ``cuda_graphs``)."""
    return make_runtime(cfg["device"], cfg["deterministic"], cfg.get("compile", False), cfg.get("channels_last"),
                        cfg.get("cuda_graphs", False))


def seed_everything(seed: int) -> np.random.Generator:
    """Seed torch/python/numpy and return the numpy Generator that drives architecture sampling."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return np.random.default_rng(seed)


@contextlib.contextmanager
def batch_statistics(model: nn.Module) -> Iterator[None]:
    """Evaluate a supernet path with BN normalising by the current batch's statistics.

    Running statistics of a weight-sharing supernet mix every path, so (as SPOS and the thesis'
    supernet evaluation do) each architecture is scored with batch statistics; momentum 0 keeps the
    stored running buffers untouched.
    """
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [(m.training, m.momentum) for m in bns]
    for m in bns:
        m.train()
        m.momentum = 0.0
    try:
        yield
    finally:
        for m, (training, momentum) in zip(bns, saved):
            m.train(training)
            m.momentum = momentum
