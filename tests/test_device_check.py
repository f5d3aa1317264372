"""``nasrepro check-device`` on CPU: every exactness check runs and passes, and a broken guarantee is caught."""

import itertools
import json

import pytest
import torch

from nasrepro.tools import device_check
from nasrepro.cli import main


def test_quick_checks_pass_on_cpu(capsys):
    assert main(["check-device", "--device", "cpu", "--quick", "--only", "resume", "packed", "stacked",
                 "prefix"]) == 0
    out = capsys.readouterr().out
    result = json.loads(out[out.index("{\n"):])
    assert result["ok"] and set(result["checks"]) == {"resume", "packed", "stacked", "prefix"}
    assert result["checks"]["packed"]["max_abs_weight_diff"] == 0.0
    assert result["checks"]["stacked"]["accuracies_differing"] == 0
    assert result["checks"]["stacked"]["stacked_rel_l2"] < device_check.FLOAT32_REL_TOL  # CPU runs float32


def test_a_non_deterministic_step_fails_the_same_seed_check(monkeypatch):
    from nasrepro.training import supernet

    real = supernet.SupernetTrainer.steps
    calls = itertools.count()

    def drifting(self, *a, **k):  # stands in for a non-reproducible kernel: each run's steps differ
        for item in real(self, *a, **k):
            with torch.no_grad():
                next(self.model.parameters()).add_(1e-3 * next(calls))
            yield item

    monkeypatch.setattr(supernet.SupernetTrainer, "steps", drifting)
    result = device_check.check_same_seed("cpu")
    assert not result["ok"] and result["max_abs_weight_diff"] > 0


def test_unknown_check_is_named():
    with pytest.raises(ValueError, match="same_seed"):
        device_check.run_checks("cpu", only=["bogus"])
