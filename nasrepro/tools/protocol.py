"""The step counts of a paper-scale run, read from the paper preset, so that ``nasrepro bench``
projections follow ``config/config.yaml`` instead of a second copy of its epochs and batch sizes."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from nasrepro.data.imagenet16 import EXPECTED_COUNTS
from nasrepro.errors import ConfigError

# Training-set sizes before the 50/50 NAS split: CIFAR's 50,000, and the ImageNet counts NB201's code asserts
TRAIN_IMAGES = {"cifar10": 50_000, "cifar100": 50_000, "imagenet16-120": EXPECTED_COUNTS[120][0],
                "imagenet": EXPECTED_COUNTS[1000][0]}
CONFIG_NAME = Path("config") / "config.yaml"
# a source checkout (the editable install the README asks for) has the preset next to the package
CHECKOUT_CONFIG = Path(__file__).resolve().parents[2] / CONFIG_NAME


def default_config() -> Path:
    """The workflow's config: ``config/config.yaml`` under the working directory, else the source checkout's."""
    here = Path.cwd() / CONFIG_NAME
    return here if here.exists() or not CHECKOUT_CONFIG.exists() else CHECKOUT_CONFIG


def require_config(config: str | Path | None = None) -> Path:
    """``config`` (default: ``default_config()``), or a ConfigError naming where it was looked for."""
    path = Path(config) if config is not None else default_config()
    if not path.exists():
        raise ConfigError(f"bench projections read the paper preset from {path}, which is missing; run from the "
                          f"repository root (the folder holding {CONFIG_NAME})")
    return path



@dataclass(frozen=True)
class Protocol:
    setting: str
    method: str
    search_images: int          # the training half of the 50/50 split: what the warm-up and the search train on
    warmup_epochs: int          # 0 when the method's tree needs no warm-up
    warmup_batch: int
    search_epochs: int
    search_batch: int
    reward_fraction: float      # share of search steps whose reward the sampler reads (one host sync each)
    retrain_epochs: int
    retrain_images: int         # a found network retrains on the whole (capped) training set

    def as_dict(self) -> dict:
        return asdict(self)


def paper_section(setting: str, config: str | Path | None = None) -> tuple[dict, dict]:
    """(the resolved paper preset, its ``setting`` section)."""
    from nasrepro import config as cfgmod

    path = require_config(config)
    resolved = cfgmod.resolve(cfgmod.load(path, {"preset": "paper"}))
    return resolved, cfgmod.space_config(resolved, setting)


def paper_protocol(setting: str, method: str, config: str | Path | None = None) -> Protocol:
    """The paper preset's protocol for ``method`` in ``setting``."""
    from nasrepro import config as cfgmod
    from nasrepro import methods
    from nasrepro.samplers import sampler_class

    resolved, scfg = paper_section(setting, config)
    method_cfg = cfgmod.method_config(resolved, method)
    train = scfg.get("train_images") or TRAIN_IMAGES[scfg["dataset"]]
    plan = methods.phases(method_cfg, scfg)
    rewarded = sum(p.fraction for p in plan if p.mode != "uniform") if sampler_class(method_cfg["sampler"]).uses_reward else 0.0
    warm = methods.needs_warmup(method_cfg)
    return Protocol(setting, method, train // 2,
                    scfg["warmup"]["epochs"] if warm else 0, scfg["warmup"]["batch_size"],
                    scfg["search"]["epochs"], scfg["search"]["batch_size"],
                    rewarded / sum(p.fraction for p in plan),
                    scfg["standalone"]["epochs"], train)
