"""Search-space registry. A new space is one module plus one line here."""

from __future__ import annotations

from nasrepro.registry import resolve
from nasrepro.spaces.base import Arch, FixedArch, SearchSpace, Supernet

SPACES: dict[str, str] = {
    "pooling": "nasrepro.spaces.pooling:PoolingSpace",
    "nb-macro": "nasrepro.spaces.nb_macro:NBMacroSpace",
    "nb201": "nasrepro.spaces.nb201:NB201Space",
    "mobilenet-imagenet": "nasrepro.spaces.mobilenet:MobileNetImageNetSpace",
}


def space_class(name: str) -> type[SearchSpace]:
    """The class behind a registered name or a ``module:Class`` plug-in."""
    from nasrepro.errors import ConfigError

    cls = resolve(SPACES, name, "search space")
    if not (isinstance(cls, type) and issubclass(cls, SearchSpace)):
        raise ConfigError(f"search space {name!r} is not a subclass of nasrepro.spaces.SearchSpace")
    return cls


def get_space(name: str) -> SearchSpace:
    return space_class(name)()


__all__ = ["Arch", "FixedArch", "SearchSpace", "Supernet", "SPACES", "get_space", "space_class"]
