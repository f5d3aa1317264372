"""The streaming ImageFolder loader: shapes, determinism, resumable order, rank shares."""

import numpy as np
import pytest
import torch
from PIL import Image

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


def test_batches_are_deterministic_and_match_random_access(folder):
    a = ImageFolderLoader(folder, batch_size=4, augment=True, seed=3, resolution=32, workers=0)
    b = ImageFolderLoader(folder, batch_size=4, augment=True, seed=3, resolution=32, workers=2)
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
