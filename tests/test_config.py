import copy

import pytest

from nasrepro import config
from nasrepro.errors import ConfigError


@pytest.fixture(scope="module")
def raw():
    return config.load("config/config.yaml")


def test_both_presets_validate_and_hash_differs(raw):
    hashes = {config.resolve({**raw, "preset": p})["config_hash"] for p in ("demo", "paper")}
    assert len(hashes) == 2


def test_unknown_key_is_named(raw):
    bad = copy.deepcopy(raw)
    bad["presets"]["demo"]["pooling"]["serach"] = {}
    with pytest.raises(ConfigError, match="unknown key 'serach' at presets.demo.pooling"):
        config.validate(bad)


def test_wrong_type_is_named(raw):
    bad = copy.deepcopy(raw)
    bad["presets"]["paper"]["pooling"]["search"]["lr"] = "fast"
    with pytest.raises(ConfigError, match=r"presets\.paper\.pooling\.search\.lr"):
        config.validate(bad)


def test_unknown_preset_and_method(raw):
    with pytest.raises(ConfigError, match="preset"):
        config.resolve({**raw, "preset": "huge"})
    with pytest.raises(ConfigError, match="unknown method 'nope'"):
        config.method_config(config.resolve(raw), "nope")


def test_paper_preset_carries_the_papers_values(raw):
    pool = config.resolve({**raw, "preset": "paper"})["pooling"]  # with the preset's defaults block merged
    assert (pool["warmup"]["epochs"], pool["warmup"]["batch_size"], pool["warmup"]["lr"]) == (300, 512, 0.1)
    assert (pool["search"]["epochs"], pool["search"]["batch_size"], pool["search"]["lr"]) == (400, 256, 0.05)
    assert pool["search"]["phases"] == [0.0, 0.25, 0.35]  # the 40% uniform share is the warm-up run
    assert (pool["sampler"]["t_start"], pool["sampler"]["t_end"]) == (0.02, 0.0025)
    assert {k: pool["tree"][k] for k in ("distance", "linkage", "val_batch")} == {"distance": "kl", "linkage": "average", "val_batch": 1024}


def test_every_paper_value_cites_a_source():
    import re

    paper_and_after = open("config/config.yaml").read().split("\n  paper:\n")[1]
    lines = re.split(r"\n  [a-z][\w-]*:\n", paper_and_after)[0].splitlines()  # up to the next preset
    assert len(lines) > 100  # the whole paper block, not an empty slice
    uncited = [l for l in lines if ":" in l and not l.strip().endswith(":") and "#" not in l
               and not l.strip().startswith("#")]
    assert uncited == []


def test_settings_sections_name_a_registered_space(raw):
    paper = config.resolve({**raw, "preset": "paper"})
    assert config.space_of(paper, "nb201-c100") == "nb201" and config.space_of(paper, "pooling") == "pooling"
    bad = copy.deepcopy(raw)
    bad["presets"]["demo"]["pooling-ch5"] = {**bad["presets"]["demo"]["pooling"], "space": "poolng"}
    with pytest.raises(ConfigError, match=r"presets\.demo\.pooling-ch5\.space: 'poolng' is not a registered"):
        config.resolve({**bad, "preset": "demo"})
    bad["presets"]["demo"]["pooling-x"] = {**bad["presets"]["demo"]["pooling"]}  # no space: and not a space name
    del bad["presets"]["demo"]["pooling-ch5"]
    with pytest.raises(ConfigError, match="pooling-x"):
        config.resolve({**bad, "preset": "demo"})


def test_a_defaults_block_fills_every_setting_and_a_setting_overrides_it(raw):
    cfg = copy.deepcopy(raw)
    demo = cfg["presets"]["demo"]
    demo["defaults"] = {"sampler": {"beta": 0.9, "lam": 0.25}, "tree": {"linkage": "complete"}}
    demo["nb-macro"]["sampler"] = {"t_start": 0.01, "lam": 1.0}
    del demo["pooling"]["tree"]
    resolved = config.resolve(cfg)
    assert {k: resolved["pooling"]["sampler"][k] for k in ("beta", "lam")} == {"beta": 0.9, "lam": 0.25}
    assert resolved["pooling"]["tree"] == {"linkage": "complete"}
    assert resolved["nb-macro"]["sampler"] == {"beta": 0.9, "lam": 1.0, "t_start": 0.01}
    assert "defaults" not in resolved and "defaults" in cfg["presets"]["demo"]  # the raw config is not changed
    cfg["presets"]["demo"]["defaults"]["sampler"]["beta"] = 1.0
    with pytest.raises(ConfigError, match=r"presets\.demo\.defaults\.sampler\.beta"):
        config.resolve(cfg)
