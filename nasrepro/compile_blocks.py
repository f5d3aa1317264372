"""Optional ``torch.compile`` for single-path supernets, without one recompilation per architecture.

Compiling ``supernet.forward(x, arch)`` would specialise on ``arch`` and recompile for every new path.
Instead each block (every module held in a ``ModuleList``/``ModuleDict``: the candidate operations
and fixed layers) is compiled on its own; a path is then a Python-level sequence of already compiled
blocks, so the number of compiled graphs is bounded by the number of blocks, not of architectures.
"""

from __future__ import annotations

from torch import nn


def compile_blocks(model: nn.Module, **compile_kwargs) -> int:
    """Compile every block of ``model`` in place; returns how many modules were compiled."""
    count = 0
    for container in model.modules():
        if isinstance(container, (nn.ModuleList, nn.ModuleDict)):
            children = container.values() if isinstance(container, nn.ModuleDict) else container
            for block in children:
                if not isinstance(block, (nn.ModuleList, nn.ModuleDict)) and not any(
                    isinstance(m, (nn.ModuleList, nn.ModuleDict)) for m in block.modules()
                ):
                    block.compile(**compile_kwargs)
                    count += 1
    return count
