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

SCHEMA = "config.schema.yaml"  # ships inside the package (workflow/schemas/ links to it)


def load_schema() -> dict:
    return yaml.safe_load(resources.files("nasrepro").joinpath(SCHEMA).read_text())


def _key_path(error) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "<top level>"


def validate(cfg: dict) -> None:
    """Raise one ``ConfigError`` naming the key path and what is wrong (not the whole schema)."""
    import jsonschema  # only validation needs it: jobs get the already-validated config

    validator = jsonschema.Draft202012Validator(load_schema())
    # An invalid value inside a job's optimiser section also leaves its keys "unevaluated": report the
    # value first, and unknown keys only when nothing else is wrong.
    errors = sorted(validator.iter_errors(cfg), key=lambda e: (e.validator == "unevaluatedProperties",
                                                               len(list(e.absolute_path)), str(e.absolute_path)))
    if not errors:
        return
    err = errors[0]
    # A failed allOf/oneOf wraps the real complaint; report the deepest one.
    while err.context:
        err = max(err.context, key=lambda e: len(list(e.absolute_path)))
    if err.validator in ("additionalProperties", "unevaluatedProperties"):
        known = sorted(err.schema.get("properties", {}))
        for sub in err.schema.get("allOf", []):
            ref = sub.get("$ref", "").rsplit("/", 1)[-1]
            known += sorted(load_schema()["$defs"].get(ref, {}).get("properties", {}))
        extra = sorted(set(err.instance) - set(known))
        where = _key_path(err)
        raise ConfigError(
            f"config error: unknown key {extra[0] if extra else '?'!r} at {where}"
            + (f" (known keys: {', '.join(sorted(set(known)))})" if known else "")
        )
    message = err.message if len(err.message) < 200 else err.message[:200] + " …"
    raise ConfigError(f"config error at {_key_path(err)}: {message}")


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
NOT_TRAINED = ("evaluation", "selection", "seeds", "ground_truth", "benchmark", "standalone_archs", "standalone_random",
               "note")
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


DEFAULTED = ("sampler", "tree")
QUERY = "query"  # the preset key of the query-based search settings (not a supernet setting)  # the sections a preset's ``defaults`` block fills in


def with_defaults(preset: dict) -> dict:
    """The preset with its ``defaults`` block merged under every setting's ``sampler`` and ``tree``
    (the setting's own keys win), so a value shared by every setting is written and cited once."""
    preset = dict(preset)
    defaults = preset.pop("defaults", {})
    for key, value in preset.items():
        if isinstance(value, dict) and key != QUERY:
            preset[key] = {**value, **{part: {**defaults.get(part, {}), **value.get(part, {})} for part in DEFAULTED}}
    return preset


def resolve(cfg: dict) -> dict:
    """The preset's section plus top-level paths, tagged with the preset name and a config hash."""
    validate(cfg)
    name = cfg["preset"]
    if name not in cfg["presets"]:
        raise ConfigError(f"config error at preset: {name!r} is not one of {sorted(cfg['presets'])}")
    section = with_defaults(cfg["presets"][name])
    from nasrepro.registry import is_plugin
    from nasrepro.spaces import SPACES, space_class

    for key, value in section.items():
        if not isinstance(value, dict) or key == QUERY:
            continue
        space = value.get("space", key)
        if space not in SPACES and not is_plugin(space):
            raise ConfigError(f"config error at presets.{name}.{key}.space: {space!r} is not a registered search "
                              f"space; known: {sorted(SPACES)} (or a plug-in written 'package.module:Class')")
        check_network_options(space_class(space), value.get("network") or {}, f"presets.{name}.{key}.network")
        unknown = [m for m in value.get("methods") or () if m not in cfg["methods"]]
        if unknown:
            raise ConfigError(f"config error at presets.{name}.{key}.methods: unknown method {unknown[0]!r}; "
                              f"define it under methods: (known: {', '.join(sorted(cfg['methods']))})")
    from nasrepro.methods import check_methods  # every method's sampler and option keys, before any job

    check_methods(cfg["methods"], {k: v for k, v in section.items() if isinstance(v, dict) and k != QUERY}, name)
    strategies = cfg.get("strategies", {})
    _check_strategies(strategies, section.get(QUERY, {}), name)
    compare = _check_compare(cfg.get("compare", {}), cfg["methods"])
    out = {
        **section,
        "compare": compare,
        "preset": name,
        "results_dir": cfg["results_dir"],
        "data_root": cfg["data_root"],
        "download": cfg["download"],
        "imagenet_root": cfg.get("imagenet_root"),
        "food101_root": cfg.get("food101_root"),
        "methods": cfg["methods"],
        "strategies": strategies,
        QUERY: section.get(QUERY, {}),
    }
    out["config_hash"] = config_hash(out)
    return out


def check_network_options(cls, options: dict, where: str) -> None:
    """Every ``network`` key is a keyword of the space's ``build_supernet`` (a typo stops the workflow)."""
    import inspect

    accepted = [k for k in inspect.signature(cls.build_supernet).parameters if k not in ("self", "num_classes", "width")]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ConfigError(f"config error at {where}: space {cls.__name__} takes no network option {unknown[0]!r}; "
                          f"its options: {', '.join(accepted) or 'none'}")


def _check_strategies(strategies: dict, query: dict, preset: str) -> None:
    """Every query strategy's class imports and accepts its options (and the query settings' overrides),
    before any job."""
    if not strategies and not query:
        return
    from nasrepro.query import accepted_options, strategy_class

    checks = [(f"strategies.{name}.options", st["strategy"], st.get("options", {})) for name, st in strategies.items()]
    checks += [(f"presets.{preset}.query.{setting}.strategy_options.{cls}", cls, opts)
               for setting, q in query.items() for cls, opts in (q.get("strategy_options") or {}).items()]
    for where, name, options in checks:
        cls = strategy_class(name)
        unknown = sorted(set(options) - set(accepted_options(cls)))
        if unknown:
            raise ConfigError(f"config error at {where}: {name!r} has no option "
                              f"{unknown[0]!r}; its options: {', '.join(accepted_options(cls))}")


def _check_compare(compare: dict, methods: dict) -> dict:
    """``compare``: target -> extra methods; both must exist, so a typo stops the workflow at once."""
    if not compare:
        return {}
    from nasrepro import catalogue  # the reporting builders: only when there is something to check

    for target, names in compare.items():
        catalogue.get(target)
        for m in names:
            if m not in methods:
                raise ConfigError(f"config error at compare.{target}: unknown method {m!r}; define it under methods:")
    return {t: list(ms) for t, ms in compare.items() if ms}


def resolve_workflow_config(cfg: dict) -> dict:
    """The Snakefile's entry: ``resolve`` with its error as one line on the console (Snakemake would
    otherwise print a traceback through the Snakefile)."""
    import sys

    # ``--config download=false`` arrives as the string "false": the switches take the usual spellings
    for key in BOOLEAN_KEYS:
        if isinstance(cfg.get(key), str) and cfg[key].strip().lower() in _SPELLINGS:
            cfg[key] = _SPELLINGS[cfg[key].strip().lower()]
    try:
        return resolve(cfg)
    except ConfigError as exc:
        print(f"nasrepro: {exc}", file=sys.stderr)
        raise SystemExit(1) from None


BOOLEAN_KEYS = ("download", "job_server")
_SPELLINGS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def check_data(resolved: dict, settings=None) -> None:
    """Stop before any job runs when data the ``settings`` (default: all) need is missing, with one
    line per dataset naming the config key to fix."""
    import sys

    from nasrepro.data.check import missing_data

    problems = missing_data(resolved, settings)
    if problems:
        print("\n".join(f"nasrepro: {p}" for p in problems), file=sys.stderr)
        raise SystemExit(1)


def write_resolved(resolved: dict, out: str | Path, log: str | Path | None = None) -> None:
    """The workflow's ``resolved_config`` job: the resolved config as strict JSON, for every job."""
    from nasrepro.io import write_json, write_text

    write_json(out, resolved)
    if log is not None:
        write_text(log, f"resolved config of preset {resolved['preset']} (hash {resolved['config_hash']}) -> {out}\n")


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
