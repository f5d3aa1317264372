"""Cityscapes (Cordts et al., 2016) for thesis Table 4.5, through ``torchvision.datasets.Cityscapes``: the fine
annotations, label ids mapped to the 19 evaluation classes ("train ids"; every other id is void, 255), as
Auto-DeepLab and DeepLab evaluate.

The split is held on the device as one uint8 tensor (``nasrepro.data.loader.DeviceLoader``), resized once to
``cityscapes_size`` (default 512 x 1024, half resolution: the 2,975 training images take 4.7 GB, their labels
1.5 GB): images bilinearly, labels by nearest neighbour. Auto-DeepLab searches on 321 x 321 crops of the full
1024 x 2048 images and retrains on 769 x 769 crops; the half-resolution copy with pad-and-crop augmentation is
this harness's stand-in (an assumption, stated in the README). ``train`` is Cityscapes' train split; ``test`` is
its val split (500 images), whose labels are public.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from nasrepro.errors import DataError

NUM_CLASSES = 19
#: Cityscapes label id -> train id (labels.py of the Cityscapes scripts); everything else is void
TRAIN_IDS = {7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8, 22: 9, 23: 10, 24: 11, 25: 12, 26: 13,
             27: 14, 28: 15, 31: 16, 32: 17, 33: 18}
LAYOUT = "leftImg8bit/{train,val}/<city>/*.png and gtFine/{train,val}/<city>/*_labelIds.png"


def train_id_table() -> np.ndarray:
    """A 256-entry lookup from label id to train id (255 = void)."""
    lut = np.full(256, 255, dtype=np.uint8)
    for label_id, train_id in TRAIN_IDS.items():
        lut[label_id] = train_id
    return lut


def load_cityscapes(root: str | Path | None, split: str, size: Sequence[int] = (512, 1024)
                    ) -> tuple[torch.Tensor, torch.Tensor]:
    """(images uint8 [N, 3, H, W], train-id labels uint8 [N, H, W]) of ``split`` (``train`` or ``test``)."""
    from PIL import Image
    from torchvision.datasets import Cityscapes

    if not root:
        raise DataError(f"dataset cityscapes needs the config key cityscapes_root (the folder holding {LAYOUT})")
    try:
        data = Cityscapes(str(Path(root).expanduser()), split="train" if split == "train" else "val", mode="fine",
                          target_type="semantic")
    except RuntimeError:
        raise DataError(f"Cityscapes not found under {root!r} (config key cityscapes_root): it must hold {LAYOUT}") from None
    h, w = (int(v) for v in size)
    lut = train_id_table()
    images = np.empty((len(data), 3, h, w), dtype=np.uint8)
    labels = np.empty((len(data), h, w), dtype=np.uint8)
    # torchvision lists the files in os.listdir order, which differs between file systems: sort them
    for i, (image_file, targets) in enumerate(sorted(zip(data.images, data.targets))):
        images[i] = np.asarray(Image.open(image_file).convert("RGB").resize((w, h), Image.BILINEAR)).transpose(2, 0, 1)
        labels[i] = lut[np.asarray(Image.open(targets[0]).resize((w, h), Image.NEAREST))]
    return torch.from_numpy(images), torch.from_numpy(labels)
