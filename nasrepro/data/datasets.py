"""Dataset loading: the embedded demo subset of CIFAR-10, CIFAR-10/100 via torchvision and
ImageNet16-120 (:mod:`nasrepro.data.imagenet16`).

``load_dataset`` returns ``(images, labels, num_classes)`` with ``images`` a uint8 tensor
``[N, 3, H, W]`` (NCHW, unnormalised; 32x32, or 16x16 for ImageNet16-120) and ``labels`` an int64 tensor ``[N]``.
Normalisation and augmentation happen on the device, in :mod:`nasrepro.data.loader`.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch

from nasrepro.errors import DataError

DEMO_NAME = "demo-cifar10"
DEMO_NPZ = Path(__file__).with_name("demo_cifar10.npz")
# sha256 of the committed demo_cifar10.npz (regenerate with make_demo.py; README.md).
DEMO_SHA256 = "70d172fe244c8303047d2ecd54d7180991c25d29b54dad5c50cfb80e20a31cc2"

IMAGENET16_NAME = "imagenet16-120"
NUM_CLASSES = {DEMO_NAME: 10, "cifar10": 10, "cifar100": 100, IMAGENET16_NAME: 120}
SPLITS = ("train", "test")

_TORCHVISION = {
    # name: (label, torchvision class name, folder torchvision expects under root)
    "cifar10": ("CIFAR-10", "CIFAR10", "cifar-10-batches-py"),
    "cifar100": ("CIFAR-100", "CIFAR100", "cifar-100-python"),
}
NUM_CLASSES_BY_LABEL = {"CIFAR-10": 10, "CIFAR-100": 100}
_CACHE_VERSION = 1
_sha_memo: dict[tuple[str, int, int], str] = {}


# --------------------------------------------------------------------------- helpers

def cache_dir() -> Path:
    """``$NASREPRO_CACHE`` if set, else ``~/.cache/nasrepro``."""
    env = os.environ.get("NASREPRO_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "nasrepro"


def file_sha256(path: Path) -> str:
    """sha256 of a file, memoised on (path, size, mtime) within the process."""
    path = Path(path)
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _sha_memo:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        _sha_memo[key] = h.hexdigest()
    return _sha_memo[key]


def _demo_error(path: Path, what: str) -> DataError:
    return DataError(
        f"embedded demo dataset {what} at {path} (config key dataset); reinstall nasrepro "
        f"or regenerate it with `python -m nasrepro.data.make_demo <shared data dir>`, "
        f"or set dataset=cifar10 with data_root"
    )


def _decode_jpegs(jpeg: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Decode concatenated JPEGs (image i = ``jpeg[offsets[i]:offsets[i+1]]``) to uint8 NCHW."""
    from PIL import Image

    n = len(offsets) - 1
    out = np.empty((n, 32, 32, 3), dtype=np.uint8)
    for i in range(n):
        with Image.open(io.BytesIO(jpeg[offsets[i]:offsets[i + 1]].tobytes())) as im:
            rgb = im.convert("RGB")
            if rgb.size != (32, 32):
                raise ValueError(f"image {i} is {rgb.size}, expected 32x32")
            out[i] = np.asarray(rgb)
    return np.ascontiguousarray(out.transpose(0, 3, 1, 2))


def _atomic_savez(path: Path, **arrays) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _demo_cache_path(sha: str, split: str) -> Path:
    import PIL

    # keyed by the npz content and the decoder version: a changed npz never hits an old cache
    tag = hashlib.sha256(f"{sha}|{PIL.__version__}|v{_CACHE_VERSION}".encode()).hexdigest()[:20]
    return cache_dir() / f"{DEMO_NAME}-{split}-{tag}.npz"


def _read_demo_cache(path: Path, sha: str, n_expected: int):
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            if str(z["npz_sha256"]) != sha:
                return None
            images, labels = z["images"], z["labels"]
        if images.dtype != np.uint8 or images.shape != (n_expected, 3, 32, 32) or labels.shape != (n_expected,):
            return None
        return images, labels
    except Exception:  # truncated / corrupt cache: decode again and overwrite
        return None


def _load_demo(split: str):
    # module globals read at call time (tests point them at a modified copy)
    npz_path, expected = Path(DEMO_NPZ), DEMO_SHA256
    if not npz_path.is_file():
        raise _demo_error(npz_path, "not found")
    sha = file_sha256(npz_path)
    if expected is not None and sha != expected:
        raise _demo_error(npz_path, f"corrupt (sha256 {sha[:12]}… expected {expected[:12]}…)")
    try:
        with np.load(npz_path, allow_pickle=False) as z:
            labels = z[f"{split}_labels"].astype(np.int64)
            n = len(labels)
            cpath = _demo_cache_path(sha, split)
            cached = _read_demo_cache(cpath, sha, n)
            if cached is not None:
                images, labels = cached
            else:
                jpeg, offsets = z[f"{split}_jpeg"], z[f"{split}_offsets"].astype(np.int64)
                if len(offsets) != n + 1 or offsets[0] != 0 or offsets[-1] != len(jpeg):
                    raise ValueError("offsets do not match the JPEG buffer")
                images = _decode_jpegs(jpeg, offsets)
                try:
                    _atomic_savez(cpath, images=images, labels=labels, npz_sha256=np.array(sha))
                except OSError as e:
                    warnings.warn(f"could not write the decoded-image cache {cpath}: {e} "
                                  f"(set NASREPRO_CACHE to a writable folder)")
    except DataError:
        raise
    except Exception as e:
        raise _demo_error(npz_path, f"corrupt ({type(e).__name__}: {e})") from None
    if labels.min() < 0 or labels.max() >= NUM_CLASSES[DEMO_NAME]:
        raise _demo_error(npz_path, "corrupt (labels out of range)")
    return torch.from_numpy(np.ascontiguousarray(images)), torch.from_numpy(labels.astype(np.int64))


def preprocessed_npz(name: str, root: Path, split: str) -> Path:
    """Where a preprocessed copy of a torchvision dataset split lives: ``<root>/<name>_<split>.npz``."""
    return root / f"{name}_{split}.npz"


def _load_npz(path: Path, label: str, split: str):
    """A preprocessed split: ``images`` uint8 ``[N, 3, 32, 32]`` and integer ``labels`` ``[N]``.

    Re-encoded copies are common (a JPEG round trip, another pickling) and torchvision's md5 check rejects
    them, so they are read from this plain layout instead; the shapes, dtypes and label range are checked."""
    fix = (f"it must hold `images` (uint8, [N, 3, 32, 32]) and `labels` (int64, [N], values 0..{NUM_CLASSES_BY_LABEL[label] - 1}); "
           f"rewrite it, or remove it to use torchvision's batches in the same folder")
    try:
        with np.load(path, allow_pickle=False) as z:
            images, labels = z["images"], z["labels"]
    except Exception as e:
        raise DataError(f"{label} {split} file {path} could not be read ({type(e).__name__}: {e}); {fix}") from None
    n_classes = NUM_CLASSES_BY_LABEL[label]
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1:] != (3, 32, 32):
        raise DataError(f"{label} {split} file {path} has images {images.dtype} {list(images.shape)}; {fix}")
    if not np.issubdtype(labels.dtype, np.integer) or labels.shape != (len(images),):
        raise DataError(f"{label} {split} file {path} has labels {labels.dtype} {list(labels.shape)} for "
                        f"{len(images)} images; {fix}")
    if len(labels) and (labels.min() < 0 or labels.max() >= n_classes):
        raise DataError(f"{label} {split} file {path} has labels outside 0..{n_classes - 1}; {fix}")
    return torch.from_numpy(np.ascontiguousarray(images)), torch.from_numpy(labels.astype(np.int64))


def _load_jpeg_pack(path: Path, label: str, split: str):
    """A split packed as JPEG bytes (``jpeg``, ``offsets``, ``labels``; the demo subset's layout), small
    enough to carry to a GPU machine: decoded once per process. JPEG is lossy: accuracies come out a little
    lower than on the original images."""
    try:
        with np.load(path, allow_pickle=False) as z:
            jpeg, offsets, labels = z["jpeg"], z["offsets"].astype(np.int64), z["labels"].astype(np.int64)
        if len(offsets) != len(labels) + 1 or offsets[0] != 0 or offsets[-1] != len(jpeg):
            raise ValueError("offsets do not match the JPEG buffer and the labels")
        images = _decode_jpegs(jpeg, offsets)
    except Exception as e:
        raise DataError(f"{label} {split} file {path} is not a JPEG pack ({type(e).__name__}: {e}); it must hold "
                        f"`jpeg` (uint8 bytes), `offsets` (int64, N + 1) and `labels` (N)") from None
    if len(labels) and (labels.min() < 0 or labels.max() >= NUM_CLASSES_BY_LABEL[label]):
        raise DataError(f"{label} {split} file {path} has labels outside 0..{NUM_CLASSES_BY_LABEL[label] - 1}")
    return torch.from_numpy(images), torch.from_numpy(labels)


def _load_torchvision(name: str, root, download: bool, split: str):
    label, cls_name, folder = _TORCHVISION[name]
    if root is None or str(root).strip() == "":
        raise DataError(
            f"{label} needs a data folder (config key data_root); set data_root to the folder "
            f"holding {folder} (or {name}_train.npz and {name}_test.npz) or run with --config "
            f"data_root=<folder> download=true"
        )
    root = Path(root).expanduser()
    if root.name == folder:  # accept the dataset folder itself as well as its parent
        root = root.parent
    npz = preprocessed_npz(name, root, split)
    if npz.is_file():
        return _load_npz(npz, label, split)
    packed = root / f"{name}_jpeg_{split}.npz"
    if packed.is_file():
        return _load_jpeg_pack(packed, label, split)
    try:
        import torchvision.datasets as tvd

        ds = getattr(tvd, cls_name)(str(root), train=(split == "train"), download=bool(download))
        images = np.ascontiguousarray(np.asarray(ds.data, dtype=np.uint8).transpose(0, 3, 1, 2))
        labels = np.asarray(ds.targets, dtype=np.int64)
        if images.shape[1:] != (3, 32, 32) or len(images) != len(labels):
            raise ValueError(f"unexpected array shapes {images.shape} / {labels.shape}")
    except Exception as e:
        if download:
            msg = (f"{label} could not be downloaded to or read from {root} (config key download): "
                   f"{type(e).__name__}: {e}; without internet, download it elsewhere and set data_root "
                   f"to the folder holding {folder}")
        else:
            msg = (f"{label} not found or corrupt under {root} (config key data_root); set data_root "
                   f"to the folder holding {folder} (or {name}_train.npz and {name}_test.npz: images uint8 "
                   f"[N, 3, 32, 32], labels int64) or run with --config download=true")
        raise DataError(msg) from None
    return torch.from_numpy(images), torch.from_numpy(labels)


# --------------------------------------------------------------------------- public API

def load_dataset(name: str, root=None, download: bool = False, split: str = "train"):
    """Load a dataset split.

    Returns ``(images, labels, num_classes)``: ``images`` uint8 ``[N, 3, 32, 32]``
    (``[N, 3, 16, 16]`` for ImageNet16-120), ``labels`` int64 ``[N]``. ``name`` is
    ``demo-cifar10`` (embedded, lossy JPEG, for demos and tests only), ``cifar10`` or
    ``cifar100`` (torchvision layout under ``root``, or the preprocessed ``<name>_train.npz`` /
    ``<name>_test.npz`` there, which win, or a JPEG pack ``<name>_jpeg_<split>.npz``; downloaded only when
    ``download`` is true) or ``imagenet16-120`` (the NB201 ``ImageNet16`` folder, or its parent, as
    ``root``; never downloaded, ``split="test"`` is ``val_data``). Raises :class:`DataError` when the data is
    missing or corrupt.
    """
    key = str(name).lower()
    if key not in NUM_CLASSES:
        raise DataError(f"unknown dataset {name!r} (config key dataset); choose one of {', '.join(NUM_CLASSES)}")
    if split not in SPLITS:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if key == DEMO_NAME:
        images, labels = _load_demo(split)
    elif key == IMAGENET16_NAME:
        from nasrepro.data.imagenet16 import load_imagenet16

        if download:
            warnings.warn("ImageNet16-120 has no official download URL; download=true is ignored "
                          "(set data_root to the ImageNet16 folder)")
        images, labels, _ = load_imagenet16(root, split=split, num_classes=NUM_CLASSES[key])
    else:
        images, labels = _load_torchvision(key, root, download, split)
    return images, labels, NUM_CLASSES[key]


def train_val_split(labels, fraction: float = 0.5, seed: int = 0):
    """Class-stratified split of a training set into (train_idx, val_idx).

    For each class, its indices are shuffled with ``numpy.random.default_rng(seed)`` and
    ``round(fraction * n_class)`` go to train, the rest to validation (the papers' 50/50
    split for ``fraction=0.5``). The two index tensors (int64, sorted) are disjoint and
    together cover ``range(len(labels))``; the result is a pure function of (labels,
    fraction, seed).
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"fraction must be in (0, 1), got {fraction}")
    y = labels.cpu().numpy() if isinstance(labels, torch.Tensor) else np.asarray(labels)
    if y.ndim > 1:  # per-pixel labels (segmentation) have no class per image: every image is one stratum
        y = np.zeros(len(y), dtype=np.int64)
    y = y.reshape(-1)
    rng = np.random.default_rng(seed)
    train, val = [], []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        idx = idx[rng.permutation(len(idx))]
        k = int(round(fraction * len(idx)))
        train.append(idx[:k])
        val.append(idx[k:])
    cat = lambda parts: torch.from_numpy(np.sort(np.concatenate(parts)).astype(np.int64)) if parts else torch.empty(0, dtype=torch.int64)  # noqa: E731
    return cat(train), cat(val)
