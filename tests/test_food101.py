"""Food101 (thesis §2.3.6, Table 2.5) through torchvision's Food101 on a fake tree in its layout, and the
one message a missing root gives."""

import json

import numpy as np
import pytest
from PIL import Image

from nasrepro.data.check import missing_data
from nasrepro.data.source import load_source
from nasrepro.errors import DataError


def _fake_food101(root):
    base = root / "food-101"
    for split, per_class in (("train", 3), ("test", 1)):
        listing = {}
        for c in ("apple_pie", "baklava"):
            (base / "images" / c).mkdir(parents=True, exist_ok=True)
            ids = [f"{c}/{split}{i}" for i in range(per_class)]
            for k, rel in enumerate(ids):
                Image.fromarray(np.full((40, 48, 3), 30 * k, dtype=np.uint8)).save(base / "images" / f"{rel}.jpg")
            listing[c] = ids
        (base / "meta").mkdir(exist_ok=True)
        (base / "meta" / f"{split}.json").write_text(json.dumps(listing))


def test_food101_splits_load_as_streamed_image_lists(tmp_path):
    _fake_food101(tmp_path)
    cfg = {"food101_root": str(tmp_path)}
    train, classes = load_source("food101", cfg, "train")
    test, _ = load_source("food101", cfg, "test")
    assert classes == 2 and len(train) == 6 and len(test) == 2
    assert train.labels.tolist() == [0, 0, 0, 1, 1, 1]
    path, label = train.folder.samples[4]
    assert path.endswith("baklava/train1.jpg") and label == 1
    assert train.folder.loader(path).size == (48, 40)
    assert missing_data({"s": {"dataset": "food101"}, **cfg}) == []


def test_a_missing_food101_root_names_the_key(tmp_path):
    with pytest.raises(DataError, match="food101_root"):
        load_source("food101", {"food101_root": None}, "train")
    with pytest.raises(DataError, match="config key food101_root"):
        load_source("food101", {"food101_root": str(tmp_path / "nowhere")}, "train")
    (msg,) = missing_data({"s": {"dataset": "food101"}, "food101_root": str(tmp_path)})
    assert "food101_root" in msg and "meta/train.json" in msg
