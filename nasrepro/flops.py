"""One parameter / multiply-accumulate counter for every search space.

``count_params_macs`` runs one forward pass with hooks on the convolution and linear layers and
returns ``(params, macs)``:

* ``params``: every parameter of the module (weights, biases, BatchNorm affine), each tensor counted
  once even where it is shared. Buffers (BN running statistics) are not parameters.
* ``macs``: multiply-accumulates **per sample** of ``nn.Conv1d/2d/3d`` (grouped and depthwise
  included) and ``nn.Linear`` at the given input size. Biases (but see ``linear_bias``), BatchNorm,
  activations, pooling and additions are not counted. A layer that runs twice in one forward pass counts twice; a layer the
  forward pass skips (an unused supernet candidate) counts nothing.

This is the convention of the benchmarks' ``flops`` fields: NAS-Bench-Macro records Conv2d + Linear
MACs at 3x32x32, and the usual "300 MFLOPs" of MobileNetV2 at 224x224 is the same count
(300,774,272 for torchvision's ``mobilenet_v2``).

A convolution with output ``[N, C_out, *spatial]`` costs ``C_out * prod(spatial) * (C_in / groups)
* prod(kernel)`` per sample; a linear layer costs ``in_features`` per output element (leading
dimensions other than the batch count as extra positions, as for a token sequence).

The model runs in eval mode without gradients and its train/eval state is restored afterwards. The
dummy input is created on the device (and with the floating dtype) of the model's first parameter,
so a model built under ``torch.device("meta")`` is counted from shapes alone, without computing.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

__all__ = ["count_params", "count_params_macs"]

_CONVS = (nn.Conv1d, nn.Conv2d, nn.Conv3d)


def count_params(model: nn.Module) -> int:
    """Number of parameter elements (shared tensors counted once)."""
    return int(sum(p.numel() for p in model.parameters()))


def _conv_macs(module: nn.Conv2d, output: torch.Tensor) -> int:
    per_output = (module.in_channels // module.groups) * math.prod(module.kernel_size)
    return int(output.numel()) * per_output


def _linear_macs(module: nn.Linear, output: torch.Tensor, bias: bool = False) -> int:
    return int(output.numel()) * (module.in_features + int(bias and module.bias is not None))


def count_params_macs(
    model: nn.Module,
    input_size: tuple[int, ...] = (1, 3, 32, 32),
    *,
    linear_bias: bool = False,
    **forward_kwargs: Any,
) -> tuple[int, int]:
    """``(params, macs)`` of ``model``; ``macs`` per sample at ``input_size`` (batch first).

    ``linear_bias=True`` also counts one MAC per linear output for its bias, as NAS-Bench-201's counter
    does (``SearchSpace.macs_count_linear_bias``). Extra keyword arguments go to ``model.forward``, e.g. ``arch=...`` to count one path of a
    supernet: ``count_params_macs(supernet, arch=(2, 2, 2, 1, 2, 2, 2, 0))`` gives the MACs of that
    path, while ``params`` still counts every candidate the supernet holds (prune it first, or
    build the stand-alone network, to get the parameters of one architecture).
    """
    if len(input_size) < 2 or input_size[0] < 1:
        raise ValueError(f"input_size must be (batch, channels, ...) with batch >= 1, got {input_size!r}")
    total = [0]

    def hook(module: nn.Module, _inputs: Any, output: Any) -> None:
        if not isinstance(output, torch.Tensor):
            raise TypeError(f"{type(module).__name__} returned {type(output).__name__}, expected a tensor")
        if isinstance(module, _CONVS):
            total[0] += _conv_macs(module, output)
        else:
            total[0] += _linear_macs(module, output, linear_bias)

    first = next(iter(model.parameters()), None)
    device = first.device if first is not None else torch.device("cpu")
    dtype = first.dtype if first is not None and first.is_floating_point() else torch.float32
    x = torch.zeros(tuple(int(s) for s in input_size), device=device, dtype=dtype)

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (*_CONVS, nn.Linear))]
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(x, **forward_kwargs)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    macs, rem = divmod(total[0], int(input_size[0]))
    assert rem == 0, "MACs of a batch are a multiple of the batch size"
    return count_params(model), int(macs)
