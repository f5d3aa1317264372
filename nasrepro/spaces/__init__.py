"""Search-space registry. A new space is one module plus one line here.

The base classes (``nasrepro.spaces.base``, which needs torch) load on first use, so that a job that
only names a space (a table of query-based runs) does not pay for importing torch.
"""

from __future__ import annotations

from typing import Any

from nasrepro.registry import resolve

SPACES: dict[str, str] = {
    "pooling": "nasrepro.spaces.pooling:PoolingSpace",
    # thesis Table 2.7: the pooling spaces of deeper backbones
    "pooling-resnet18": "nasrepro.spaces.pooling:ResNet18PoolingSpace",
    "pooling-resnet50": "nasrepro.spaces.pooling:ResNet50PoolingSpace",
    "pooling-resnet50-224": "nasrepro.spaces.pooling:ResNet50ImageNetPoolingSpace",
    "pooling-resnet18-224": "nasrepro.spaces.pooling:ResNet18ImageNetPoolingSpace",
    # thesis Table 2.2: one weight set per resolution (SPOS "Not shared"), over the 36 or all 19,683 paths
    "pooling-resolution": "nasrepro.spaces.resolution:ResolutionBenchmarkSpace",
    "pooling-resolution-all": "nasrepro.spaces.resolution:ResolutionSpace",
    "nb-macro": "nasrepro.spaces.nb_macro:NBMacroSpace",
    "nb201": "nasrepro.spaces.nb201:NB201Space",
    "mobilenet-imagenet": "nasrepro.spaces.mobilenet:MobileNetImageNetSpace",
    # thesis Table 4.5: Auto-DeepLab's network level (segmentation)
    "trellis": "nasrepro.spaces.trellis:TrellisSpace",
    # DARTS (Liu et al. 2019) as the HEP-NAS appendix uses it: normal + reduction cell genotypes
    "darts": "nasrepro.spaces.darts:DartsSpace",
}


def space_class(name: str) -> type[SearchSpace]:
    """The class behind a registered name or a ``module:Class`` plug-in."""
    from nasrepro.errors import ConfigError

    from nasrepro.spaces.base import SearchSpace

    cls = resolve(SPACES, name, "search space")
    if not (isinstance(cls, type) and issubclass(cls, SearchSpace)):
        raise ConfigError(f"search space {name!r} is not a subclass of nasrepro.spaces.SearchSpace")
    return cls


def get_space(name: str) -> "SearchSpace":  # noqa: F821 - loaded lazily, see the module docstring
    return space_class(name)()


def __getattr__(name: str) -> Any:
    if name in ("Arch", "FixedArch", "SearchSpace", "Supernet"):
        from nasrepro.spaces import base

        return getattr(base, name)
    raise AttributeError(f"module 'nasrepro.spaces' has no attribute {name!r}")


__all__ = ["Arch", "FixedArch", "SearchSpace", "Supernet", "SPACES", "get_space", "space_class"]
