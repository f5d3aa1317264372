"""Tests of nasrepro.data: embedded demo dataset, cache, split, DataError, device loader."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nasrepro.data import datasets as ds
from nasrepro.data import (
    CIFAR10_MEAN,
    CIFAR100_MEAN,
    BatchCycler,
    DeviceLoader,
    load_dataset,
    mean_std,
    train_val_split,
)
from nasrepro.data.make_demo import write_npz_deterministic
from nasrepro.errors import DataError

SHARED = Path("/work/shared/data")


@pytest.fixture(scope="module")
def demo_cache(tmp_path_factory):
    """A private decode cache for the module (decoded once, reused by the tests)."""
    d = tmp_path_factory.mktemp("nasrepro_cache")
    old = os.environ.get("NASREPRO_CACHE")
    os.environ["NASREPRO_CACHE"] = str(d)
    yield d
    if old is None:
        os.environ.pop("NASREPRO_CACHE", None)
    else:
        os.environ["NASREPRO_CACHE"] = old


@pytest.fixture(scope="module")
def demo_train(demo_cache):
    return load_dataset("demo-cifar10", split="train")


@pytest.fixture
def count_decodes(monkeypatch):
    calls = []
    real = ds._decode_jpegs

    def counting(jpeg, offsets):
        calls.append(len(offsets) - 1)
        return real(jpeg, offsets)

    monkeypatch.setattr(ds, "_decode_jpegs", counting)
    return calls


# ----------------------------------------------------------------------------- demo dataset

def test_demo_npz_small_and_matches_recorded_sha():
    assert ds.DEMO_NPZ.stat().st_size <= 10 * 2**20
    assert hashlib.sha256(ds.DEMO_NPZ.read_bytes()).hexdigest() == ds.DEMO_SHA256
    with np.load(ds.DEMO_NPZ) as z:
        assert set(z.files) == {f"{s}_{k}" for s in ("train", "test")
                                for k in ("jpeg", "offsets", "labels", "source_index")} | {"classes"}
        assert list(z["classes"])[:3] == ["airplane", "automobile", "bird"]
        for s, n in (("train", 5000), ("test", 1000)):
            idx = z[f"{s}_source_index"]
            assert len(np.unique(idx)) == n and np.all(np.diff(idx) > 0)
            assert z[f"{s}_offsets"][-1] == len(z[f"{s}_jpeg"])


@pytest.mark.parametrize("split,per_class", [("train", 500), ("test", 100)])
def test_demo_shapes_balance_labels(demo_cache, demo_train, split, per_class):
    x, y, k = demo_train if split == "train" else load_dataset("demo-cifar10", split=split)
    assert k == 10
    assert x.dtype == torch.uint8 and tuple(x.shape) == (10 * per_class, 3, 32, 32)
    assert y.dtype == torch.int64 and tuple(y.shape) == (10 * per_class,)
    assert torch.bincount(y, minlength=10).tolist() == [per_class] * 10
    # real images: not blank, plausible mean, channels differ
    m = x.float().mean(dim=(0, 2, 3)) / 255
    assert 0.3 < float(m.mean()) < 0.65 and float(x.float().std()) > 30
    assert abs(float(m[0]) - CIFAR10_MEAN[0]) < 0.05


def test_demo_matches_source_when_available(tmp_path):
    if not (SHARED / "cifar10_jpeg_test.npz").is_file():
        pytest.skip("shared source data not on this machine")
    from nasrepro.data.make_demo import main

    assert main(SHARED, tmp_path / "demo.npz") == ds.DEMO_SHA256  # regeneration is byte-identical


def test_cache_reused_without_decoding(demo_cache, demo_train, count_decodes, monkeypatch):
    x0, y0, _ = demo_train  # already decoded (and cached) by the fixture
    x1, y1, _ = load_dataset("demo-cifar10", split="train")
    assert count_decodes == []
    assert torch.equal(x0, x1) and torch.equal(y0, y1)
    assert any(p.name.startswith("demo-cifar10-train-") for p in demo_cache.iterdir())
    assert not any(p.name.endswith(".tmp") for p in demo_cache.iterdir())


def test_stale_cache_never_used(tmp_path, monkeypatch, count_decodes):
    monkeypatch.setenv("NASREPRO_CACHE", str(tmp_path / "cache"))
    original = ds.DEMO_NPZ
    x0, y0, _ = load_dataset("demo-cifar10", split="test")
    assert count_decodes == [1000]
    # a different npz (test images in reverse order) must not hit the first npz's cache
    with np.load(ds.DEMO_NPZ) as z:
        arrays = {k: z[k] for k in z.files}
    off, jp = arrays["test_offsets"], arrays["test_jpeg"]
    pieces = [jp[off[i]:off[i + 1]] for i in range(len(off) - 1)][::-1]
    arrays["test_jpeg"] = np.concatenate(pieces)
    arrays["test_offsets"] = np.concatenate([[0], np.cumsum([len(p) for p in pieces])]).astype(np.int64)
    arrays["test_labels"] = arrays["test_labels"][::-1].copy()
    arrays["test_source_index"] = arrays["test_source_index"][::-1].copy()
    other = tmp_path / "other.npz"
    write_npz_deterministic(other, arrays)
    monkeypatch.setattr(ds, "DEMO_NPZ", other)
    monkeypatch.setattr(ds, "DEMO_SHA256", None)
    x1, y1, _ = load_dataset("demo-cifar10", split="test")
    assert count_decodes == [1000, 1000]
    assert torch.equal(x1, x0.flip(0)) and torch.equal(y1, y0.flip(0))
    # a cache file planted under the new key but written for other data is ignored
    sha_other = ds.file_sha256(other)
    planted = ds._demo_cache_path(sha_other, "test")
    good = ds._demo_cache_path(ds.file_sha256(original), "test")
    planted.write_bytes(good.read_bytes())  # content of the first npz, labelled with its sha
    x2, _, _ = load_dataset("demo-cifar10", split="test")
    assert count_decodes == [1000, 1000, 1000] and torch.equal(x2, x1)
    # a truncated cache file is decoded again and replaced
    planted.write_bytes(b"not a zip")
    x3, _, _ = load_dataset("demo-cifar10", split="test")
    assert count_decodes == [1000] * 4 and torch.equal(x3, x1)
    load_dataset("demo-cifar10", split="test")
    assert len(count_decodes) == 4


def test_corrupt_demo_npz_raises_dataerror(tmp_path, monkeypatch):
    bad = tmp_path / "demo_cifar10.npz"
    bad.write_bytes(ds.DEMO_NPZ.read_bytes()[:1000])
    monkeypatch.setattr(ds, "DEMO_NPZ", bad)
    with pytest.raises(DataError, match="corrupt") as e:
        load_dataset("demo-cifar10")
    assert str(bad) in str(e.value)
    monkeypatch.setattr(ds, "DEMO_SHA256", None)  # no sha check: the zip itself is unreadable
    with pytest.raises(DataError, match=str(bad)):
        load_dataset("demo-cifar10")
    monkeypatch.setattr(ds, "DEMO_NPZ", tmp_path / "missing.npz")
    with pytest.raises(DataError, match="not found"):
        load_dataset("demo-cifar10")


# ----------------------------------------------------------------------------- cifar via torchvision

def test_missing_cifar10_root_names_path_and_key(tmp_path):
    root = tmp_path / "x" / "y"
    with pytest.raises(DataError) as e:
        load_dataset("cifar10", root=root, download=False)
    msg = str(e.value)
    assert str(root) in msg and "data_root" in msg and "download=true" in msg and "cifar-10-batches-py" in msg
    assert e.value.__cause__ is None and e.value.__suppress_context__
    with pytest.raises(DataError, match="data_root"):
        load_dataset("cifar100", root=None)


def test_corrupt_cifar10_folder_raises_dataerror(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for f in ["data_batch_%d" % i for i in range(1, 6)] + ["test_batch", "batches.meta"]:
        (folder / f).write_bytes(b"garbage")
    with pytest.raises(DataError, match="corrupt") as e:
        load_dataset("cifar10", root=folder)  # the dataset folder itself is accepted too
    assert str(tmp_path) in str(e.value)


def _write_npz(path, images, labels):
    np.savez(path, images=images, labels=labels)


def test_preprocessed_npz_loaded_as_written(tmp_path):
    """``cifar10_{train,test}.npz`` under data_root come back unchanged (no torchvision md5 check), and win over
    a (here corrupt) cifar-10-batches-py beside them."""
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, (7, 3, 32, 32), dtype=np.uint8)
    labs = rng.integers(0, 10, 7).astype(np.int64)
    _write_npz(tmp_path / "cifar10_train.npz", imgs, labs)
    _write_npz(tmp_path / "cifar10_test.npz", imgs[:3], labs[:3].astype(np.uint8))  # any integer dtype
    (tmp_path / "cifar-10-batches-py").mkdir()
    (tmp_path / "cifar-10-batches-py" / "data_batch_1").write_bytes(b"not a pickle")
    x, y, k = load_dataset("cifar10", root=tmp_path, split="train")
    assert k == 10 and x.dtype == torch.uint8 and y.dtype == torch.int64
    assert np.array_equal(x.numpy(), imgs) and np.array_equal(y.numpy(), labs)
    xt, yt, _ = load_dataset("cifar10", root=tmp_path / "cifar-10-batches-py", split="test")  # the folder itself too
    assert np.array_equal(xt.numpy(), imgs[:3]) and yt.dtype == torch.int64 and np.array_equal(yt.numpy(), labs[:3])


@pytest.mark.parametrize("images, labels, what", [
    (np.zeros((4, 32, 32, 3), np.uint8), np.zeros(4, np.int64), "images uint8 [4, 32, 32, 3]"),   # NHWC
    (np.zeros((4, 3, 32, 32), np.float32), np.zeros(4, np.int64), "images float32"),
    (np.zeros((4, 3, 32, 32), np.uint8), np.zeros(3, np.int64), "labels int64 [3] for 4 images"),
    (np.zeros((4, 3, 32, 32), np.uint8), np.array([0, 1, 2, 10]), "labels outside 0..9"),
])
def test_bad_preprocessed_npz_names_the_problem(tmp_path, images, labels, what):
    _write_npz(tmp_path / "cifar10_train.npz", images, labels)
    with pytest.raises(DataError) as e:
        load_dataset("cifar10", root=tmp_path, split="train")
    assert what in str(e.value) and "cifar10_train.npz" in str(e.value) and "uint8, [N, 3, 32, 32]" in str(e.value)


def test_unreadable_preprocessed_npz(tmp_path):
    (tmp_path / "cifar100_test.npz").write_bytes(b"truncated")
    with pytest.raises(DataError, match="could not be read"):
        load_dataset("cifar100", root=tmp_path, split="test")


def test_jpeg_pack_decodes(tmp_path):
    """``cifar10_jpeg_<split>.npz`` (the demo subset's layout, small enough to carry to a GPU machine)."""
    import io as _io

    from PIL import Image

    rng = np.random.default_rng(1)
    ramp = np.linspace(0, 1, 32)
    base = rng.uniform(40, 200, (3, 1, 1, 3))  # smooth images (JPEG keeps them within a few levels)
    imgs = np.clip(base + 50 * ramp[None, :, None, None] + 30 * ramp[None, None, :, None], 0, 255).astype(np.uint8)
    blobs = []
    for im in imgs:
        buf = _io.BytesIO()
        Image.fromarray(im).save(buf, format="JPEG", quality=95)
        blobs.append(np.frombuffer(buf.getvalue(), np.uint8))
    offsets = np.concatenate([[0], np.cumsum([len(b) for b in blobs])]).astype(np.int64)
    np.savez(tmp_path / "cifar10_jpeg_test.npz", jpeg=np.concatenate(blobs), offsets=offsets,
             labels=np.array([3, 1, 9], np.uint8))
    x, y, _ = load_dataset("cifar10", root=tmp_path, split="test")
    assert x.shape == (3, 3, 32, 32) and y.tolist() == [3, 1, 9]
    assert np.abs(x.numpy().astype(int) - imgs.transpose(0, 3, 1, 2).astype(int)).mean() < 8  # lossy, close
    np.savez(tmp_path / "cifar10_jpeg_train.npz", jpeg=np.concatenate(blobs), offsets=offsets[:-1],
             labels=np.array([3, 1, 9], np.uint8))
    with pytest.raises(DataError, match="not a JPEG pack"):
        load_dataset("cifar10", root=tmp_path, split="train")


def test_unknown_dataset_and_split():
    with pytest.raises(DataError, match="dataset"):
        load_dataset("imagenet")
    with pytest.raises(ValueError):
        load_dataset("demo-cifar10", split="val")


# ----------------------------------------------------------------------------- split

def test_train_val_split_properties():
    labels = torch.as_tensor(np.repeat(np.arange(10), 500))[torch.randperm(5000, generator=torch.Generator().manual_seed(0))]
    tr, va = train_val_split(labels, 0.5, seed=3)
    assert tr.dtype == torch.int64 and len(tr) == len(va) == 2500
    assert set(tr.tolist()).isdisjoint(va.tolist())
    assert sorted(tr.tolist() + va.tolist()) == list(range(5000))
    assert torch.bincount(labels[tr], minlength=10).tolist() == [250] * 10
    assert torch.bincount(labels[va], minlength=10).tolist() == [250] * 10
    tr2, va2 = train_val_split(labels.numpy(), 0.5, seed=3)
    assert torch.equal(tr, tr2) and torch.equal(va, va2)
    tr3, _ = train_val_split(labels, 0.5, seed=4)
    assert not torch.equal(tr, tr3)
    tr4, va4 = train_val_split(labels, 0.8, seed=3)
    assert len(tr4) == 4000 and torch.bincount(labels[va4], minlength=10).tolist() == [100] * 10
    with pytest.raises(ValueError):
        train_val_split(labels, 1.0, seed=0)


# ----------------------------------------------------------------------------- loader

def _coord_images(n: int) -> torch.Tensor:
    """Channel 0 holds row+1, channel 1 col+1, channel 2 the sample id (+1): offsets are readable."""
    x = torch.zeros(n, 3, 32, 32, dtype=torch.uint8)
    x[:, 0] = (torch.arange(32) + 1).view(32, 1)
    x[:, 1] = (torch.arange(32) + 1).view(1, 32)
    x[:, 2] = (torch.arange(n) % 250 + 1).view(n, 1, 1)
    return x


def _raw(loader, xb):
    return torch.round(xb * loader.std * 255 + loader.mean * 255).to(torch.int64)


def test_loader_order_deterministic_in_seed_and_epoch():
    x = _coord_images(1000)
    y = torch.arange(1000) % 10
    a = DeviceLoader(x, torch.arange(1000), 100, "cpu", augment=False, seed=7)
    b = DeviceLoader(x, torch.arange(1000), 100, "cpu", augment=False, seed=7)
    c = DeviceLoader(x, torch.arange(1000), 100, "cpu", augment=False, seed=8)
    assert len(a) == 10
    e0 = torch.cat([yb for _, yb in a.iterate(0)])
    assert torch.equal(e0, torch.cat([yb for _, yb in b.iterate(0)]))
    assert sorted(e0.tolist()) == list(range(1000))
    assert not torch.equal(e0, torch.cat([yb for _, yb in a.iterate(1)]))
    assert not torch.equal(e0, torch.cat([yb for _, yb in c.iterate(0)]))
    assert torch.equal(torch.cat([yb for _, yb in a.iterate(1)]), torch.cat([yb for _, yb in b.iterate(1)]))
    # drop_last / len, shuffle=False, channels_last
    d = DeviceLoader(x, y, 300, "cpu", drop_last=False, shuffle=False, channels_last=True)
    assert len(d) == 4 and len(DeviceLoader(x, y, 300, "cpu")) == 3
    batches = list(d.iterate(5))
    assert [len(yb) for _, yb in batches] == [300, 300, 300, 100]
    assert torch.equal(torch.cat([yb for _, yb in batches]), y)
    xb = batches[0][0]
    assert xb.dtype == torch.float32 and xb.is_contiguous(memory_format=torch.channels_last)
    assert torch.allclose(_raw(d, xb).float(), x[:300].float())


def test_augmentation_crop_and_flip():
    n = 2000
    x = _coord_images(n)
    loader = DeviceLoader(x, torch.arange(n), 500, "cpu", augment=True, seed=1, mean=(0.5, 0.5, 0.5), std=(0.25, 0.25, 0.25))
    flips, dys, dxs = [], [], []
    for xb, yb in loader.iterate(0):
        assert xb.shape == (500, 3, 32, 32) and xb.dtype == torch.float32
        r = _raw(loader, xb)
        assert torch.equal(r[:, 2].amax(dim=(1, 2)), yb % 250 + 1)  # the right sample was gathered
        for s in range(len(yb)):
            rows, cols = r[s, 0], r[s, 1]
            inside = (rows > 0) & (cols > 0)
            i, j = [int(t[0]) for t in torch.nonzero(inside, as_tuple=True)]
            dys.append(int(rows[i, j]) - 1 - i + 4)
            flip = bool(cols[i, j + 1] < cols[i, j]) if j + 1 < 32 and cols[i, j + 1] > 0 else bool(cols[i, j - 1] > cols[i, j])
            flips.append(flip)
            dxs.append((int(cols[i, j]) - 1 - (31 - j) + 4) if flip else (int(cols[i, j]) - 1 - j + 4))
            # padding is zero and the visible pixels match the offsets
            assert int(inside.sum()) == (32 - abs(dys[-1] - 4)) * (32 - abs(dxs[-1] - 4))
    dys, dxs = np.array(dys), np.array(dxs)
    assert dys.min() == 0 and dys.max() == 8 and dxs.min() == 0 and dxs.max() == 8
    assert len(set(zip(dys[:100], dxs[:100]))) > 30  # offsets differ between samples of a batch
    assert 0.45 < np.mean(flips) < 0.55
    plan = loader.plan(0)
    assert np.array_equal(plan["dy"].numpy(), dys) and np.array_equal(plan["dx"].numpy(), dxs)
    assert np.array_equal(plan["flip"].numpy(), np.array(flips))
    # same (seed, epoch) -> identical augmented batches; another epoch differs
    again = DeviceLoader(x, torch.arange(n), 500, "cpu", augment=True, seed=1, mean=(0.5,) * 3, std=(0.25,) * 3)
    assert torch.equal(next(again.iterate(0))[0], next(loader.iterate(0))[0])
    assert not torch.equal(next(again.iterate(1))[0], next(loader.iterate(0))[0])


def test_augmentation_matches_per_sample_reference(demo_train):
    x, y, _ = demo_train
    loader = DeviceLoader(x[:256], y[:256], 128, "cpu", augment=True, seed=5)
    p = loader.plan(2)
    xb, yb = loader.batch(2, 1)
    ref = []
    for j in range(128, 256):
        im = F.pad(x[p["order"][j]], (4, 4, 4, 4))[:, p["dy"][j]:p["dy"][j] + 32, p["dx"][j]:p["dx"][j] + 32]
        ref.append(im.flip(-1) if p["flip"][j] else im)
    ref = torch.stack(ref).float().div(255).sub(loader.mean).div(loader.std)
    assert torch.allclose(xb, ref) and torch.equal(yb, y[p["order"][128:256]])


def test_batch_cycler_state_round_trip():
    x = _coord_images(250)
    mk = lambda: DeviceLoader(x, torch.arange(250), 64, "cpu", augment=True, seed=11)  # noqa: E731
    cyc = BatchCycler(mk())
    for _ in range(5):  # 3 batches per epoch: crosses an epoch boundary
        next(cyc)
    state = cyc.state_dict()
    assert state == {"epoch": 1, "batch": 2}
    expected = [next(cyc) for _ in range(7)]
    resumed = BatchCycler(mk())
    resumed.load_state_dict(dict(state))
    got = [next(resumed) for _ in range(7)]
    for (xa, ya), (xb, yb) in zip(expected, got):
        assert torch.equal(xa, xb) and torch.equal(ya, yb)
    assert resumed.state_dict() == cyc.state_dict() == {"epoch": 3, "batch": 3}
    with pytest.raises(ValueError):
        BatchCycler(DeviceLoader(x[:10], torch.arange(10), 64, "cpu"))


def test_mean_std_constants():
    assert mean_std("cifar10") == mean_std("demo-cifar10")
    assert mean_std("cifar100")[0] == CIFAR100_MEAN
    with pytest.raises(KeyError):
        mean_std("mnist")


def test_a_settings_resolution_area_averages_its_images_and_scales_the_crop_padding():
    from nasrepro.data.source import downsampled
    from nasrepro.data.splits import make_loader, training_source
    from nasrepro.runtime import make_runtime

    images = torch.arange(2 * 3 * 4 * 4, dtype=torch.uint8).reshape(2, 3, 4, 4)
    half = downsampled(images, 2)
    # by hand: each output pixel is the mean of its 2 x 2 block (rounded half to even)
    block = images[1, 2, 2:4, 0:2].float().mean()
    assert half.shape == (2, 3, 2, 2) and half.dtype == torch.uint8 and int(half[1, 2, 1, 0]) == int(torch.round(block))
    assert downsampled(images, 4) is images
    with pytest.raises(DataError, match="must divide"):
        downsampled(images, 3)
    # a setting's key reaches the training source and its loader: 16 px demo images, 2-pixel crop padding
    cfg = {"data_root": None, "download": False}
    scfg = {"dataset": "demo-cifar10", "train_images": 20, "resolution": 16}
    source, classes = training_source(cfg, scfg)
    full, _ = training_source(cfg, {**scfg, "resolution": None})
    assert source.images.shape[1:] == (3, 16, 16) and classes == 10
    assert torch.equal(source.images, downsampled(full.images, 16)) and torch.equal(source.labels, full.labels)
    loader = make_loader(scfg, source, 4, make_runtime("cpu"), 0, augment=True)
    assert loader.pad == 2 and make_loader({**scfg, "resolution": None}, full, 4, make_runtime("cpu"), 0, True).pad == 4
