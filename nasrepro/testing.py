"""Small, fast, deterministic pieces for tests: the package's own, a plug-in author's, and the device
check's. Nothing here is used by the pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import torch

from nasrepro.samplers.phases import Phase

#: the MCTS methods' uniform / explore / sample split (thesis App. I.1), at tiny scale
MCTS_PHASES = (Phase("uniform", 0.4), Phase("explore", 0.25), Phase("sample", 0.35))


def synthetic_images(n: int, seed: int, classes: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` random uint8 32x32 images and labels, the same for the same seed."""
    g = torch.Generator().manual_seed(seed)
    return (torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, generator=g),
            torch.randint(0, classes, (n,), generator=g))


def tiny_trainer(space_name: str = "pooling", sampler: str | None = "uniform",
                 phases: Sequence[Phase] = MCTS_PHASES, *, device: str = "cpu", seed: int = 0,
                 checkpoint: str | Path | None = None, epochs: int = 3, lr: float = 0.05, width: float = 0.125,
                 train_images: int = 64, val_images: int = 32, batch: int = 16, data_seed: int = 123,
                 reward=None, tree=None, cuda_graphs: bool = False, graph_capturer=None, **sampler_options: Any):
    """A ``SupernetTrainer`` over the whole of a small space on synthetic data, with a registered (or
    ``module:Class``) sampler: a few seconds of CPU for a full run. ``cuda_graphs`` captures its steps on
    CUDA; ``graph_capturer`` takes the graph path with that capturer on any device (tests: a fake one)."""
    from nasrepro.data.loader import DeviceLoader
    from nasrepro.samplers import make_sampler
    from nasrepro.spaces import get_space
    from nasrepro.spaces.mixture import build_mixture, joint_archs
    from nasrepro.training.optim import OptimConfig
    from nasrepro.runtime import make_runtime, seed_everything
    from nasrepro.training.supernet import SupernetTrainer

    runtime = make_runtime(device, deterministic=True, cuda_graphs=cuda_graphs)
    space = get_space(space_name)
    archs = space.enumerate()
    x, y = synthetic_images(train_images + val_images, data_seed)
    rng = seed_everything(seed)
    if tree is not None:
        sampler_options["tree"] = tree
    made = None if sampler is None else make_sampler(sampler, space.encodings(archs), space.choices_per_decision(),
                                                     **sampler_options)
    sets = made.weight_sets if made is not None else 1  # a balanced mixture trains M weight sets, as the search job
    net = build_mixture(lambda: space.build_supernet(width=width), sets)
    cl = runtime.channels_last
    train = DeviceLoader(x[:train_images], y[:train_images], batch, runtime.device, augment=True, seed=seed,
                         channels_last=cl)
    val = DeviceLoader(x[train_images:], y[train_images:], batch, runtime.device, augment=False, seed=seed + 1,
                       channels_last=cl)
    optim = OptimConfig(epochs=epochs, batch_size=batch, lr=lr, momentum=0.9, weight_decay=5e-4)
    return SupernetTrainer(net, joint_archs(archs, sets), made, list(phases), optim, runtime, train, val, rng, checkpoint=checkpoint,
                           log=lambda message: None, reward=reward, graph_capturer=graph_capturer)


def weights(trainer) -> torch.Tensor:
    """Every parameter of the trainer's model, flattened into one vector."""
    return torch.cat([p.detach().flatten() for p in trainer.model.parameters()])
