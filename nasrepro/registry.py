"""Lazy name -> "module:attr" registries, so adding a space or sampler is one file plus one line.

A config may also name a class outside the package directly as ``"package.module:Class"`` (a plug-in):
any name with a colon that is not a registered name is imported as such. The module must be importable
by the jobs, so put its directory on ``PYTHONPATH`` (or install it) before running the workflow.
"""

from __future__ import annotations

import importlib
from typing import Any

from nasrepro.errors import ConfigError


def is_plugin(name: str) -> bool:
    return ":" in name


def resolve(registry: dict[str, str], name: str, kind: str) -> Any:
    if name in registry:
        target = registry[name]
    elif is_plugin(name):
        target = name
    else:
        known = ", ".join(sorted(registry))
        raise ConfigError(f"unknown {kind} {name!r}; known: {known} (or a plug-in written 'package.module:Class')")
    module, _, attr = target.partition(":")
    try:
        return getattr(importlib.import_module(module), attr)
    except ModuleNotFoundError as exc:
        if target is not name:
            raise
        raise ConfigError(f"{kind} plug-in {name!r}: cannot import module {module!r} ({exc}); put its directory "
                          "on PYTHONPATH or install it") from None
    except AttributeError:
        raise ConfigError(f"{kind} plug-in {name!r}: module {module!r} has no attribute {attr!r}") from None
