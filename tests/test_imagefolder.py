"""The streaming ImageFolder loader: shapes, determinism, resumable order, rank shares."""

import numpy as np
import pytest
import torch
from PIL import Image

from nasrepro.data.colour import ColourJitter
from nasrepro.data.imagefolder import ImageFolderLoader
from nasrepro.errors import DataError


@pytest.fixture()
def folder(tmp_path):
    rng = np.random.default_rng(0)
    for c in range(3):
        (tmp_path / f"class{c}").mkdir()
        for i in range(5):
            pixels = rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(tmp_path / f"class{c}" / f"{i}.png")
    return tmp_path


@pytest.mark.parametrize("jitter", [None, ColourJitter(0.4, 0.4, 0.4, 0.2)])
def test_batches_are_deterministic_and_match_random_access(folder, jitter):
    a = ImageFolderLoader(folder, batch_size=4, augment=True, seed=3, resolution=32, workers=0, colour_jitter=jitter)
    b = ImageFolderLoader(folder, batch_size=4, augment=True, seed=3, resolution=32, workers=2, colour_jitter=jitter)
    assert len(a) == 3 and a.num_classes == 3
    streamed = list(a.iterate(1))
    for i, ((x, y), (x2, y2)) in enumerate(zip(streamed, b.iterate(1))):
        assert x.shape == (4, 3, 32, 32) and y.dtype == torch.int64
        assert torch.equal(x, x2) and torch.equal(y, y2)  # workers do not change the result
        rx, ry = a.batch(1, i)
        assert torch.equal(rx, x) and torch.equal(ry, y)  # a resumed job sees the same batches
    assert [torch.equal(x, x2) for (x, _), (x2, _) in zip(a.iterate(0), a.iterate(1))] != [True] * 3
    resumed = list(a.iterate(1, start=2))
    assert len(resumed) == 1 and torch.equal(resumed[0][0], streamed[2][0])
    if jitter is not None:  # the colours moved, the geometry did not: undo the normalisation and compare
        plain = ImageFolderLoader(folder, batch_size=4, augment=True, seed=3, resolution=32, workers=0)
        (x, _), (p, _) = a.batch(1, 1), plain.batch(1, 1)
        mean, std = a.mean, a.std
        expected = a.jitter(p * std + mean, 1, list(range(4, 8))).sub(mean).div(std)
        assert torch.allclose(x, expected, atol=1e-5) and not torch.allclose(x, p, atol=1e-2)


def test_ranks_split_every_global_batch(folder):
    full = ImageFolderLoader(folder, batch_size=4, seed=1, resolution=32, workers=0)
    parts = [ImageFolderLoader(folder, batch_size=4, seed=1, resolution=32, workers=0, rank=r, world=2)
             for r in range(2)]
    assert parts[0].rank_local and not full.rank_local
    for i, (x, y) in enumerate(full.iterate(0)):
        got = [p.batch(0, i) for p in parts]
        assert torch.equal(torch.cat([g[0] for g in got]), x) and torch.equal(torch.cat([g[1] for g in got]), y)


def test_missing_folder_names_the_key(tmp_path):
    with pytest.raises(DataError, match="imagenet_root"):
        ImageFolderLoader(tmp_path / "nope", batch_size=4)


@pytest.fixture()
def imagenet_root(tmp_path):
    rng = np.random.default_rng(1)
    for split, per_class in (("train", 12), ("val", 4)):
        for c in range(3):
            d = tmp_path / "imagenet" / split / f"n0{c}"
            d.mkdir(parents=True)
            for i in range(per_class):
                Image.fromarray(rng.integers(0, 256, (36, 36, 3), dtype=np.uint8)).save(d / f"{i}.JPEG")
    return tmp_path / "imagenet"


def test_jobs_run_end_to_end_on_an_image_folder(imagenet_root, tmp_path):
    import json

    from nasrepro.config import load, resolve
    from nasrepro.data.splits import nas_split
    from nasrepro.jobs import run_search, run_standalone, run_warmup

    cfg = resolve(load("config/config.yaml", {"preset": "demo", "imagenet_root": str(imagenet_root)}))
    pool = cfg["pooling"]
    pool.update(dataset="imagenet", resolution=32, train_images=None, width=0.125)
    for key in ("standalone", "warmup", "search"):
        pool[key].update(epochs=1, batch_size=6)
    pool["warmup"].pop("snapshots", None)
    pool["tree"].update(val_batch=6, hv_candidates=0)
    pool["evaluation"].update(batch_size=12, val_images=12, test_images=12)
    split = nas_split(cfg, pool)
    assert (len(split.train), len(split.val), split.num_classes) == (18, 18, 3)
    assert split.train.images is None and set(split.train.rows).isdisjoint(split.val.rows)
    rows = run_standalone(cfg, "pooling", ["24", "34"], 0, tmp_path / "sa.json", log=lambda m: None)
    assert [r["arch"] for r in rows] == ["[4,3,3]", "[7,1,2]"] and all(0 <= r["test_acc"] <= 100 for r in rows)
    run_warmup(cfg, "pooling", 0, tmp_path / "warm", log=lambda m: None)
    assert np.load(tmp_path / "warm" / "outputs.npz")["outputs"].shape == (36, 6, 3)
    summary = run_search(cfg, "pooling", "mcts-learned", 0, tmp_path / "search",
                         warmup_outputs=tmp_path / "warm" / "outputs.npz", log=lambda m: None)
    assert summary["ranked_archs"] == 36 and json.loads((tmp_path / "search" / "summary.json").read_text())


def test_folder_evaluation_must_be_capped(imagenet_root):
    from nasrepro.config import load, resolve
    from nasrepro.data.source import load_source
    from nasrepro.errors import ConfigError

    cfg = resolve(load("config/config.yaml", {"preset": "demo", "imagenet_root": str(imagenet_root)}))
    source, classes = load_source("imagenet", cfg, "test")
    assert len(source) == 12 and classes == 3
    from nasrepro.data import splits
    from nasrepro.runtime import make_runtime

    old = splits.MAX_FOLDER_EVAL_IMAGES
    splits.MAX_FOLDER_EVAL_IMAGES = 10
    try:
        with pytest.raises(ConfigError, match="val_images"):
            splits.eval_tensors({"dataset": "imagenet"}, source, make_runtime("cpu"), None)
    finally:
        splits.MAX_FOLDER_EVAL_IMAGES = old
    with pytest.raises(DataError, match="imagenet_root"):
        load_source("imagenet", {**cfg, "imagenet_root": None}, "train")
