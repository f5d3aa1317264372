"""Segmentation pieces of thesis Table 4.5: mIoU against torchmetrics and a hand computation, the Auto-DeepLab
trellis counted two ways (28,657 paths with the first cell fixed, the seed's 2.9 x 10^4), its single-path
supernet, and the procedurally generated shapes set."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nasrepro.data.shapes import SHAPE_CLASSES, make_shapes
from nasrepro.evaluation.segmentation import confusion_matrix, iou_per_class, mean_iou
from nasrepro.spaces import get_space
from nasrepro.spaces.trellis import LEVELS, format_path, parse_path, trellis_paths


def test_miou_matches_torchmetrics_and_a_hand_computation():
    torchmetrics = pytest.importorskip("torchmetrics")
    g = torch.Generator().manual_seed(0)
    target = torch.randint(0, 5, (3, 16, 16), generator=g)
    target[:, :2] = 255  # void rows
    logits = torch.randn(3, 5, 16, 16, generator=g) + 2.0 * torch.nn.functional.one_hot(
        target.clamp(max=4), 5).permute(0, 3, 1, 2)
    cm = confusion_matrix(logits, target, 5)
    assert int(cm.sum()) == int((target != 255).sum())
    ref = torchmetrics.classification.MulticlassJaccardIndex(5, ignore_index=255, average="none")
    torch.testing.assert_close(iou_per_class(cm).float() / 100, ref(logits.argmax(1), target).float())
    ref_mean = torchmetrics.classification.MulticlassJaccardIndex(5, ignore_index=255, average="macro")
    assert mean_iou(cm) == pytest.approx(100 * float(ref_mean(logits.argmax(1), target)), rel=1e-5)
    # by hand: class 0 right twice and once predicted 1; class 1 right once; class 2 absent everywhere
    pred = torch.tensor([[0, 0, 1, 1, 0]])
    tgt = torch.tensor([[0, 0, 0, 1, 255]])
    iou = iou_per_class(confusion_matrix(pred, tgt, 3))
    assert iou[0] == pytest.approx(100 * 2 / 3) and iou[1] == pytest.approx(50.0) and torch.isnan(iou[2])
    assert mean_iou(confusion_matrix(pred, tgt, 3)) == pytest.approx((200 / 3 + 50) / 2)


def _count(cells: int, first_fixed: bool) -> int:
    """Paths by a transfer matrix (independent of the enumeration)."""
    step = np.array([[1 if abs(a - b) <= 1 else 0 for b in range(LEVELS)] for a in range(LEVELS)])
    start = np.zeros(LEVELS, dtype=np.int64)
    start[0] = 1
    v = start if first_fixed else start @ step  # the first cell: fixed at stride 4, or one free move
    for _ in range(cells - 1):
        v = v @ step
    return int(v.sum())


def test_the_trellis_has_28657_paths_with_the_first_cell_fixed_as_the_seeds_2_9e4():
    fixed, free = trellis_paths(), trellis_paths(first=None)
    assert len(fixed) == _count(12, True) == 28_657 and len(free) == _count(12, False) == 75_025
    assert round(len(fixed), -3) == 29_000  # the thesis' "2.9 x 10^4"
    assert len(set(fixed)) == len(fixed) and all(p[0] == 0 for p in fixed)
    assert all(abs(a - b) <= 1 for p in fixed for a, b in zip(p, p[1:]))
    space = get_space("trellis")
    assert space.size() == 28_657
    for arch in (fixed[0], fixed[12_345], fixed[-1]):
        assert parse_path(format_path(arch)) == arch and space.parse(space.format(arch)) == arch
    with pytest.raises(ValueError, match="not a trellis path"):
        parse_path("4-16-16-16-16-16-16-16-16-16-16-16")  # a stride jump of two levels


def test_single_path_supernet_and_its_pruned_network_agree():
    space = get_space("trellis")
    torch.manual_seed(0)
    net = space.build_supernet(num_classes=len(SHAPE_CLASSES), width=0.0625).eval()
    x = torch.rand(2, 3, 64, 64)
    arch = parse_path("4-8-16-16-32-32-16-8-8-16-32-32")
    with torch.no_grad():
        out = net(x, arch)
        assert out.shape == (2, len(SHAPE_CLASSES), 64, 64)
        for other in (trellis_paths()[0], trellis_paths()[-1]):
            assert net(x, other).shape == out.shape
    alone = space.build_network(arch, num_classes=len(SHAPE_CLASSES), width=0.0625)
    own = alone.state_dict()
    alone.load_state_dict({f"net.{k}": v for k, v in net.state_dict().items() if f"net.{k}" in own})
    alone.eval()
    assert sum(p.numel() for p in alone.parameters()) < sum(p.numel() for p in net.parameters()) / 3
    with torch.no_grad():
        assert torch.equal(alone(x), out)


def test_the_shapes_set_is_deterministic_with_void_boundaries():
    x, y = make_shapes(6, 48, seed=1)
    x2, y2 = make_shapes(6, 48, seed=1)
    assert torch.equal(x, x2) and torch.equal(y, y2) and not torch.equal(make_shapes(6, 48, seed=2)[1], y)
    assert x.dtype == torch.uint8 and x.shape == (6, 3, 48, 48) and y.shape == (6, 48, 48)
    assert set(torch.unique(y).tolist()) <= set(range(len(SHAPE_CLASSES))) | {255}
    assert 0 < float((y == 255).float().mean()) < 0.2 and int((y > 0).sum() - (y == 255).sum()) > 0


# ------------------------------------------------------------------ the segmentation track of the trainer (Table 4.5)
def test_the_task_helpers_give_the_pixel_loss_accuracy_and_miou_by_hand():
    from nasrepro.training.task import batch_score, hits, task_loss

    g = torch.Generator().manual_seed(1)
    logits = torch.randn(2, 3, 4, 4, generator=g)
    labels = torch.randint(0, 3, (2, 4, 4), generator=g)
    labels[0, 0] = 255
    valid = labels != 255
    # the loss averages the cross-entropy of the valid pixels only
    per_pixel = -torch.log_softmax(logits, 1).gather(1, labels.clamp(max=2)[:, None])[:, 0]
    assert task_loss(logits, labels) == pytest.approx(float(per_pixel[valid].mean()), rel=1e-6)
    pred = logits.argmax(1)
    acc = [float(((pred[i] == labels[i]) & valid[i]).sum() / valid[i].sum()) for i in range(2)]
    assert float(hits(logits, labels)) == pytest.approx(sum(acc), rel=1e-6)
    assert 100 * float(batch_score(logits, labels)) == pytest.approx(mean_iou(confusion_matrix(logits, labels, 3)),
                                                                     rel=1e-5)
    # classification labels keep their meaning: a class id 255 is a class, not void
    cls_logits = torch.zeros(2, 300)
    cls_logits[:, 255] = 5.0
    assert float(hits(cls_logits, torch.tensor([255, 3]))) == 1.0
    want = -float(torch.log_softmax(cls_logits[0], 0)[255])  # ignored, it would be NaN (no valid target)
    assert float(task_loss(cls_logits, torch.tensor([255, 255]))) == pytest.approx(want, rel=1e-6)


def test_per_pixel_labels_take_the_images_crop_and_flip_and_void_padding():
    from nasrepro.data.loader import DeviceLoader

    n, size = 6, 8
    coords = torch.arange(size * size).view(1, size, size).expand(n, size, size)
    images = torch.stack([coords % 200, coords // 200, torch.zeros_like(coords)], 1).to(torch.uint8)
    labels = (coords % 200).to(torch.uint8)  # the label of a pixel is its position: it must travel with it
    loader = DeviceLoader(images, labels, 3, augment=True, seed=4, mean=(0, 0, 0), std=(1 / 255,) * 3)
    for b in range(len(loader)):
        x, y = loader.batch(0, b)
        inside = y != 255
        assert torch.equal(x[:, 0][inside].round().long(), y[inside])  # same crop and flip as the image
        assert (x[:, 0][~inside] == 0).all() and (~inside).any()  # the zero padding is void in the labels
    assert y.dtype == torch.int64


def test_segmentation_scores_accumulate_one_confusion_matrix_per_architecture():
    from nasrepro.evaluation.evaluate import evaluate_architectures
    from nasrepro.runtime import make_runtime

    space = get_space("trellis")
    torch.manual_seed(0)
    net = space.build_supernet(5, 0.1).eval()
    x, y = make_shapes(6, seed=2)
    x = x.float() / 255
    archs = [space.enumerate()[0], space.enumerate()[-1]]
    got = evaluate_architectures(net, archs, x, y, make_runtime("cpu"), batch_size=4, use_batch_stats=False)
    with torch.no_grad():
        want = [mean_iou(confusion_matrix(net(x[:4], a), y[:4], 5) + confusion_matrix(net(x[4:], a), y[4:], 5))
                for a in archs]
    assert got == pytest.approx(want, rel=1e-5)


def test_dense_labels_split_by_image_and_cityscapes_names_its_key():
    from nasrepro.data.cityscapes import NUM_CLASSES, TRAIN_IDS, train_id_table
    from nasrepro.data.datasets import train_val_split
    from nasrepro.data.source import load_source
    from nasrepro.errors import DataError

    _, y = make_shapes(10, seed=0)
    tr, va = train_val_split(y, 0.5, seed=0)
    assert sorted(tr.tolist() + va.tolist()) == list(range(10)) and len(tr) == 5
    lut = train_id_table()
    assert NUM_CLASSES == 19 and sorted(set(TRAIN_IDS.values())) == list(range(19))
    assert lut[7] == 0 and lut[26] == 13 and lut[33] == 18 and lut[0] == 255 and lut[6] == 255
    with pytest.raises(DataError, match="cityscapes_root"):
        load_source("cityscapes", {"cityscapes_root": None}, "train")


def test_table4_5_takes_the_best_and_mean_retrained_miou_per_method(tmp_path):
    import json
    from pathlib import Path

    from nasrepro.config import load, resolve
    from nasrepro.layout import Layout
    from nasrepro.reporting import retrained_tables as rt

    cfg = resolve(load("config/config.yaml", {"preset": "demo"}))
    layout, s = Layout(str(tmp_path), "demo"), rt.TABLE4_5_SETTING
    inputs = []
    for method, values in (("uniform", (40.0, 50.0)), ("mcts-reg", (61.0, 59.0)), ("iterative-mcts", (70.0, 72.0))):
        for seed, miou in enumerate(values):
            path = Path(layout.retrain(s, method, seed))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps([{"space": s, "method": method, "arch": f"a{seed}", "test_acc": miou,
                                         "search_seed": seed, "metric": "miou"}]))
            inputs.append(path)
    frame = rt.thesis_table4_5(cfg, inputs).set_index("method")
    assert frame.loc["uniform", "best_miou"] == 50.0 and frame.loc["uniform", "avg_miou"] == 45.0
    assert frame.loc["iterative-mcts", "arch"] == "a1" and frame.loc["mcts-reg", "delta_avg_miou"] == pytest.approx(60 - 73.1)
    assert str(frame.loc["autodeeplab-s", "arch"]).startswith("quoted") and list(frame.index)[2] == "autodeeplab-s"


def test_cityscapes_loads_a_tiny_folder_as_train_ids_at_the_configured_size(tmp_path):
    from PIL import Image

    from nasrepro.data.source import load_source

    for split, cities in (("train", ("aachen", "bremen")), ("val", ("lindau",))):
        for k, city in enumerate(cities):
            (tmp_path / "leftImg8bit" / split / city).mkdir(parents=True)
            (tmp_path / "gtFine" / split / city).mkdir(parents=True)
            stem = f"{city}_000000_00000{k}"
            Image.fromarray(np.full((8, 16, 3), 10 * (k + 1), np.uint8)).save(
                tmp_path / "leftImg8bit" / split / city / f"{stem}_leftImg8bit.png")
            ids = np.full((8, 16), 7, np.uint8)  # road (train id 0)
            ids[:, 8:] = 26  # car (13)
            ids[:2] = 0  # unlabeled: void (two rows: the first output row after halving)
            Image.fromarray(ids).save(tmp_path / "gtFine" / split / city / f"{stem}_gtFine_labelIds.png")
    cfg = {"cityscapes_root": str(tmp_path), "cityscapes_size": [4, 8]}
    train, classes = load_source("cityscapes", cfg, "train")
    assert classes == 19 and tuple(train.images.shape) == (2, 3, 4, 8) and tuple(train.labels.shape) == (2, 4, 8)
    assert train.images[0, 0, 0, 0] == 10 and train.images[1, 0, 0, 0] == 20  # sorted: aachen, then bremen
    lab = train.labels[0]
    assert (lab[1:, :4] == 0).all() and (lab[1:, 4:] == 13).all() and (lab[0] == 255).all()
    test, _ = load_source("cityscapes", cfg, "test")  # the test split is Cityscapes' val
    assert len(test) == 1
