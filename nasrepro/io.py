"""Atomic writes and safe checkpoints: a job that dies never leaves a half-written output behind."""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator

import pandas as pd

from nasrepro.errors import CheckpointError


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; it replaces ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix or path.suffix)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Strict JSON (RFC 8259): a missing number (NaN, e.g. the supernet accuracy of a k = 1 selection,
    or the ground truth of a network no table holds) is written as ``null``, never as a bare ``NaN``
    token that other JSON readers reject. Readers get ``None`` back; pandas turns it into NaN."""
    write_text(path, json.dumps(strict_json(obj), indent=2, sort_keys=True, allow_nan=False) + "\n")


def strict_json(obj: Any) -> Any:
    """``obj`` with numpy values as Python ones, paths as strings and non-finite floats as None."""
    if isinstance(obj, dict):
        return {str(k): strict_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [strict_json(v) for v in obj]
    if hasattr(obj, "tolist"):  # numpy arrays and scalars, torch tensors
        return strict_json(obj.tolist())
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Path):
        return str(obj)
    if obj is None or isinstance(obj, (str, int, bool)):
        return obj
    raise TypeError(f"cannot serialise {type(obj).__name__} to JSON")


def write_csv(path: str | os.PathLike, frame: pd.DataFrame) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


def save_checkpoint(path: str | os.PathLike, state: dict[str, Any]) -> None:
    import torch  # here, not at module level: query jobs and tables write files without torch

    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def resumable_state(path: str | os.PathLike | None, fingerprint: str, log=print) -> dict[str, Any] | None:
    """A job's checkpoint to resume from, or None when there is none or it was written by a job with
    another fingerprint (the config changed and the workflow reruns the job: start over)."""
    if path is None or not Path(path).exists():
        return None
    state = load_checkpoint(path)
    if state.get("fingerprint", "") != fingerprint:
        log(f"ignoring {path}: it was written with another configuration; starting over")
        return None
    return state


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Load with ``weights_only=True``; a truncated or foreign file gives one actionable error."""
    import torch

    path = Path(path)
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for corrupt files
        raise CheckpointError(
            f"checkpoint {path} is corrupt or incompatible ({type(exc).__name__}: {str(exc).splitlines()[0][:120]}). "
            f"Delete it to restart that job from scratch: rm {path}"
        ) from None
