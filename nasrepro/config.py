"""Load, validate and resolve the workflow configuration.

The schema (``workflow/schemas/config.schema.yaml``) is the single definition of valid keys; it is
checked before any job starts, and errors name the offending key.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from nasrepro.errors import ConfigError

REPO_SCHEMA = Path(__file__).resolve().parent.parent / "workflow" / "schemas" / "config.schema.yaml"


def load_schema() -> dict:
    if REPO_SCHEMA.exists():
        return yaml.safe_load(REPO_SCHEMA.read_text())
    return yaml.safe_load(resources.files("nasrepro").joinpath("config.schema.yaml").read_text())


def _key_path(error: jsonschema.ValidationError) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "<top level>"


def validate(cfg: dict) -> None:
    import jsonschema  # only validation needs it: jobs get the already-validated config

    validator = jsonschema.Draft202012Validator(load_schema())
    errors = sorted(validator.iter_errors(cfg), key=lambda e: (len(list(e.absolute_path)), str(e.absolute_path)))
    if not errors:
        return
    err = errors[0]
    if err.validator == "additionalProperties":
        known = sorted(err.schema.get("properties", {}))
        extra = sorted(set(err.instance) - set(known))
        where = _key_path(err)
        raise ConfigError(
            f"config error: unknown key {extra[0]!r} at {where}"
            + (f" (known keys: {', '.join(known)})" if known else "")
        )
    raise ConfigError(f"config error at {_key_path(err)}: {err.message}")


def load(path: str | Path, overrides: dict[str, Any] | None = None) -> dict:
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"config file {path} not found; pass --config config/config.yaml")
    cfg = yaml.safe_load(path.read_text()) or {}
    cfg.update(overrides or {})
    validate(cfg)
    return cfg


def config_hash(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:12]


# Setting keys that never change what a job trains: how it is scored, selected, repeated or checked.
NOT_TRAINED = ("evaluation", "selection", "seeds", "ground_truth", "benchmark", "standalone_archs")
# The other jobs' protocol sections, which a job of one kind never reads while training.
JOB_SECTIONS = {"standalone": ("warmup", "search", "sampler", "tree", "reward"),
                "warmup": ("standalone", "search", "sampler", "tree", "reward"),
                "search": ("standalone",)}


def training_fingerprint(job: str, scfg: dict, *parts: Any) -> str:
    """Hash of what a ``job`` ("standalone", "warmup", "search") trains: its setting without the keys
    that only score or select (so raising ``evaluation.val_images`` re-ranks a finished supernet from
    its checkpoint instead of retraining it), plus ``parts`` (method, seed, architecture)."""
    keep = {k: v for k, v in scfg.items() if k not in NOT_TRAINED and k not in JOB_SECTIONS[job]}
    if job == "standalone":  # which seeds run and how they are packed does not change one network
        keep["standalone"] = {k: v for k, v in scfg["standalone"].items() if k not in ("seeds", "pack")}
    return config_hash([job, keep, *parts])


def resolve(cfg: dict) -> dict:
    """The preset's section plus top-level paths, tagged with the preset name and a config hash."""
    validate(cfg)
    name = cfg["preset"]
    if name not in cfg["presets"]:
        raise ConfigError(f"config error at preset: {name!r} is not one of {sorted(cfg['presets'])}")
    section = dict(cfg["presets"][name])
    from nasrepro.spaces import SPACES

    for key, value in section.items():
        if isinstance(value, dict) and value.get("space", key) not in SPACES:
            raise ConfigError(f"config error at presets.{name}.{key}.space: {value.get('space', key)!r} is not a "
                              f"registered search space; known: {sorted(SPACES)}")
    from nasrepro.methods import check_methods  # every method's sampler and option keys, before any job

    check_methods(cfg["methods"], {k: v for k, v in section.items() if isinstance(v, dict)}, name)
    out = {
        **section,
        "preset": name,
        "results_dir": cfg["results_dir"],
        "data_root": cfg["data_root"],
        "download": cfg["download"],
        "imagenet_root": cfg.get("imagenet_root"),
        "methods": cfg["methods"],
    }
    out["config_hash"] = config_hash(out)
    return out


def space_config(resolved: dict, space: str) -> dict:
    try:
        return resolved[space]
    except KeyError:
        raise ConfigError(f"config error at presets.{resolved['preset']}: no section for space {space!r}") from None


def space_of(resolved: dict, section: str) -> str:
    """Registered search space of a preset section. A section is a *setting* (space, dataset and
    protocol); its name is the space unless it says ``space:`` (e.g. ``nb201-c100: {space: nb201}``)."""
    return space_config(resolved, section).get("space", section)


def method_config(resolved: dict, method: str) -> dict:
    try:
        return resolved["methods"][method]
    except KeyError:
        raise ConfigError(f"config error at methods: unknown method {method!r}; known: {sorted(resolved['methods'])}") from None
