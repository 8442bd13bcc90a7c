"""The data module's public surface: names, data directory, Dataset/Split, subsets, the shapes dataset."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from smallnets_edu import data
from smallnets_edu.data import shapes


def test_names_and_environment_variable():
    assert data.names() == ["cifar10", "cifar100", "tinyimagenet", "imagefolder", "shapes", "shapes100"]
    assert data.DATA_DIR_ENV == "SMALLNETS_DATA"


def test_data_dir_argument_beats_environment_beats_default(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv(data.DATA_DIR_ENV, raising=False)
    default = data.data_dir()
    assert default == tmp_path / "home" / ".cache" / "smallnets-edu" / "data" and default.is_dir()
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path / "env"))
    assert data.data_dir() == tmp_path / "env" and (tmp_path / "env").is_dir()
    assert data.data_dir(tmp_path / "arg") == tmp_path / "arg" and (tmp_path / "arg").is_dir()
    assert data.data_dir(str(tmp_path / "s")) == tmp_path / "s"


def test_official_table_holds_the_published_checksums():
    # Transcribed from the hosts' published values (see the course's dataset reference).
    t = data.ARCHIVES
    assert t["cifar10"].md5 == "c58f30108f718f92721af3b95e74349a"
    assert t["cifar10"].url == "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    assert t["cifar10"].files["data_batch_1"] == "c99cafc152244af753f735de768cd75f"
    assert t["cifar10"].files["test_batch"] == "40351d587109b95175f43aff81a1287e"
    assert t["cifar10"].files["batches.meta"] == "5ff9c542aee3614f3951f8cda6e48888"
    assert set(t["cifar10"].files) == {f"data_batch_{i}" for i in range(1, 6)} | {
        "test_batch",
        "batches.meta",
    }
    assert t["cifar100"].md5 == "eb9058c3a382ffc7106e4002c42a8d85"
    assert t["cifar100"].files == {
        "train": "16019d7e3df5f24257cddd939b257f8d",
        "test": "f0ef6b0ae62326f3e7ffdfab6717acfc",
        "meta": "7973b15100ade9c7d40fb424638fde48",
    }
    assert t["tinyimagenet"].md5 == "90528d7ca1a48142e341f4ef8d21d0de"
    assert t["tinyimagenet"].url == "http://cs231n.stanford.edu/tiny-imagenet-200.zip"


def _toy(n_train: int = 200, n_test: int = 50, classes: int = 4) -> data.Dataset:
    g = torch.Generator().manual_seed(0)
    train = data.Split(
        torch.randint(0, 256, (n_train, 3, 8, 8), dtype=torch.uint8, generator=g),
        torch.arange(n_train) % classes,
    )
    test = data.Split(torch.zeros(n_test, 3, 8, 8, dtype=torch.uint8), torch.arange(n_test) % classes)
    return data.Dataset("toy", train, test, [f"c{i}" for i in range(classes)], (0.5,) * 3, (0.25,) * 3)


def test_split_checks_its_layout():
    with pytest.raises(ValueError, match="uint8 of shape"):
        data.Split(torch.zeros(2, 8, 8, 3), torch.zeros(2, dtype=torch.int64))
    with pytest.raises(ValueError, match="2 images but labels"):
        data.Split(torch.zeros(2, 3, 8, 8, dtype=torch.uint8), torch.zeros(3, dtype=torch.int64))
    s = data.Split(torch.zeros(2, 8, 8, 3, dtype=torch.uint8).permute(0, 3, 1, 2), torch.tensor([0, 1]))
    assert s.images.is_contiguous() and len(s) == 2


def test_subset_is_balanced_deterministic_and_keeps_the_statistics():
    ds = _toy()
    sub = ds.subset(40, 12, seed=3)
    assert len(sub.train) == 40 and len(sub.test) == 12
    assert torch.bincount(sub.train.labels, minlength=4).tolist() == [10, 10, 10, 10]
    assert torch.bincount(sub.test.labels, minlength=4).tolist() == [3, 3, 3, 3]
    again = ds.subset(40, 12, seed=3)
    assert torch.equal(again.train.images, sub.train.images) and torch.equal(
        again.train.labels, sub.train.labels
    )
    other = ds.subset(40, 12, seed=4)
    assert not torch.equal(other.train.images, sub.train.images)
    # Chosen images are real members of the split, each with its own label.
    rows = {
        tuple(img.flatten().tolist()): lab for img, lab in zip(ds.train.images, ds.train.labels, strict=True)
    }
    assert all(
        rows[tuple(i.flatten().tolist())] == lab
        for i, lab in zip(sub.train.images, sub.train.labels, strict=True)
    )
    assert sub.mean == ds.mean and sub.classes == ds.classes
    whole = ds.subset(None, 10_000)
    assert len(whole.train) == 200 and len(whole.test) == 50


def test_shapes_generation_is_deterministic_balanced_and_seeded():
    a_img, a_lab = shapes.generate(300, 32, seed=5)
    b_img, b_lab = shapes.generate(300, 32, seed=5)
    assert torch.equal(a_img, b_img) and torch.equal(a_lab, b_lab)
    assert a_img.dtype == torch.uint8 and a_img.shape == (300, 3, 32, 32) and a_lab.dtype == torch.int64
    assert torch.bincount(a_lab, minlength=10).tolist() == [30] * 10
    c_img, _ = shapes.generate(300, 32, seed=6)
    assert not torch.equal(a_img, c_img)
    t_img, _ = shapes.generate(300, 32, seed=5, split="test")
    assert not torch.equal(a_img, t_img)
    big, _ = shapes.generate(20, 64)
    assert big.shape == (20, 3, 64, 64)
    assert len(shapes.CLASSES) == 10 and len(set(shapes.CLASSES)) == 10


def _nearest_class_mean_accuracy(train_x, train_y, test_x, test_y) -> float:
    centres = torch.stack([train_x[train_y == k].mean(0) for k in range(10)])
    return (torch.cdist(test_x, centres).argmin(1) == test_y).float().mean().item()


def test_shapes_colour_says_nothing_about_the_class_but_shape_does():
    x, y = shapes.generate(2000, 32, seed=0)
    xt, yt = shapes.generate(1000, 32, seed=0, split="test")
    colour = lambda imgs: imgs.float().mean(dim=(2, 3)) / 255
    acc_colour = _nearest_class_mean_accuracy(colour(x), y, colour(xt), yt)
    assert acc_colour < 0.16, f"mean colour predicts the class ({acc_colour:.2f}); chance is 0.10"
    # Brightness spread is similar across classes too: no class is visibly darker or busier.
    spread = torch.stack([x[y == k].float().std(dim=(1, 2, 3)).mean() for k in range(10)])
    assert spread.max() / spread.min() < 1.6
    # Yet the classes differ in form: which way the edges run (a spatial feature, no colour in it)
    # tells horizontal from vertical stripes most of the time, although clutter lines and noise blur it.
    g = x.float().mean(1)
    dy = (g[:, 1:, :] - g[:, :-1, :]).abs().mean(dim=(1, 2))
    dx = (g[:, :, 1:] - g[:, :, :-1]).abs().mean(dim=(1, 2))
    horizontal = dy > dx
    h, v = y == shapes.CLASSES.index("hstripes"), y == shapes.CLASSES.index("vstripes")
    balanced = (horizontal[h].float().mean() + (~horizontal[v]).float().mean()) / 2
    assert balanced > 0.75, f"edge direction separates the stripes in only {balanced:.0%} of cases"


def test_shapes_defeat_a_linear_classifier_on_the_pixels():
    """Position, phase and colour vary, so a linear model of the pixels stays near chance (10%).

    Ridge regression onto one-hot labels (closed form, the strongest of several penalties tried)
    fits the training images but does not generalise: what separates the classes is local form.
    """
    x, y = shapes.generate(2000, 32, seed=0)
    xt, yt = shapes.generate(1000, 32, seed=0, split="test")
    flat = lambda imgs: imgs.double().flatten(1) / 255
    train_x, test_x = flat(x), flat(xt)
    centre = train_x.mean(0)
    train_x, test_x = train_x - centre, test_x - centre
    targets = torch.nn.functional.one_hot(y, 10).double()
    gram = train_x.T @ train_x + 100.0 * torch.eye(train_x.shape[1], dtype=torch.float64)
    weights = torch.linalg.solve(gram, train_x.T @ targets)
    train_acc = ((train_x @ weights).argmax(1) == y).double().mean().item()
    test_acc = ((test_x @ weights).argmax(1) == yt).double().mean().item()
    assert train_acc > 0.5, f"the linear model should at least fit its training images, got {train_acc:.2f}"
    assert test_acc < 0.25, f"a linear model of the pixels reaches {test_acc:.0%}; chance is 10%"


def test_load_shapes_and_the_resolution_option(monkeypatch):
    monkeypatch.setattr(data, "SHAPES_SIZES", (200, 100))
    ds = data.load("shapes")
    assert ds.name == "shapes" and ds.resolution == 32 and ds.classes == shapes.CLASSES and ds.notice is None
    assert len(ds.train) == 200 and len(ds.test) == 100
    assert all(0.3 < m < 0.7 for m in ds.mean) and all(0.1 < s < 0.4 for s in ds.std)
    assert data.load("shapes", resolution=64).resolution == 64
    assert not torch.equal(data.load("shapes", seed=1).train.images, ds.train.images)
    small = data.for_lesson("shapes", budget="smoke")
    assert small.notice is None and len(small.train) == 200 and len(small.test) == 100


def test_cifar_names_are_accepted_in_common_spellings(monkeypatch, tmp_path: Path):
    monkeypatch.setenv(data.OFFLINE_ENV, "1")
    for spelling in ("CIFAR-10", "cifar_10", "Tiny-ImageNet-200"):
        with pytest.raises(data.DatasetUnavailable):
            data.load(spelling, data_dir=tmp_path)


def test_shapes_dataset_generates_only_what_is_asked_and_matches_the_full_set():
    small = data.shapes_dataset(32, train_size=300, test_size=100)
    assert (len(small.train), len(small.test)) == (300, 100)
    full_train = data.load("shapes").train
    # Chunks of images are seeded by their index, so whole chunks at the start are identical.
    assert torch.equal(small.train.images[:256], full_train.images[:256])
    assert torch.equal(small.train.labels[:256], full_train.labels[:256])


def test_shapes_blank_pictures_show_no_object(monkeypatch):
    """With every picture blank (and no clutter or noise) only the background's smooth ramp is left."""
    assert shapes._KNOBS["blank"] == pytest.approx(0.06)  # the ceiling the docs quote: 94.6%

    def roughness(blank: float) -> torch.Tensor:
        monkeypatch.setitem(shapes._KNOBS, "blank", blank)
        monkeypatch.setitem(shapes._KNOBS, "lines", 0)
        monkeypatch.setitem(shapes._KNOBS, "noise", 0.0)
        x, _ = shapes.generate(200, 32, seed=1)
        g = x.float()
        second = g[:, :, 2:, :] - 2 * g[:, :, 1:-1, :] + g[:, :, :-2, :]  # zero on a linear ramp
        unclipped = ((g > 0) & (g < 255)).float()  # a ramp clipped to [0, 255] bends where it clips
        unclipped = unclipped[:, :, 2:, :] * unclipped[:, :, 1:-1, :] * unclipped[:, :, :-2, :]
        return (second.abs() * unclipped).amax(dim=(1, 2, 3))

    assert roughness(1.0).max() <= 2  # rounding to uint8 only
    assert (roughness(0.0) > 20).all()  # every object has edges


# ------------------------------------------------------------------------------------------------
# shapes100: the many-class stand-in for CIFAR-100 and Tiny-ImageNet
# ------------------------------------------------------------------------------------------------


def test_shapes100_is_deterministic_balanced_and_leaves_the_ten_class_set_alone():
    a_img, a_lab = shapes.generate(400, 32, seed=5, classes=100)
    b_img, b_lab = shapes.generate(400, 32, seed=5, classes=100)
    assert torch.equal(a_img, b_img) and torch.equal(a_lab, b_lab)
    assert torch.bincount(a_lab, minlength=100).tolist() == [4] * 100
    assert len(set(shapes.MANY_CLASSES)) == 100 and shapes.MANY_CLASSES[10 * 2 + 7] == "dots triangle"
    ten, _ = shapes.generate(400, 32, seed=5)
    assert not torch.equal(ten, a_img)  # streams of its own
    assert shapes.generate(8, 64, classes=100)[0].shape == (8, 3, 64, 64)
    with pytest.raises(ValueError, match="10 or 100 classes"):
        shapes.generate(8, 32, classes=20)


def _drawn(labels: torch.Tensor, monkeypatch) -> torch.Tensor:
    """Pictures drawn without clutter, noise, blanks or lowered contrast: the object differs from the
    background by at least 0.45 in colour (some channel by at least 66 of 255)."""
    for knob, value in (("blank", 0.0), ("lines", 0), ("noise", 0.0), ("c_min", 1.0)):
        monkeypatch.setitem(shapes._KNOBS, knob, value)
    return shapes._render(labels, 64, torch.Generator().manual_seed(0), many=True)


def test_shapes100_outlines_and_textures_are_both_visible(monkeypatch):
    """Same random draws, two labels: changing only the outline or only the texture changes the
    drawing (the class is in both), and a solid texture fills its outline."""
    n = 64
    solid_disk = torch.full((n,), shapes.MANY_CLASSES.index("solid disk"))
    solid_triangle = torch.full((n,), shapes.MANY_CLASSES.index("solid triangle"))
    dots_disk = torch.full((n,), shapes.MANY_CLASSES.index("dots disk"))
    a, b, c = (_drawn(labels, monkeypatch).float() for labels in (solid_disk, solid_triangle, dots_disk))
    assert ((a - b).abs().amax(dim=(1, 2, 3)) > 60).all()  # outline
    assert ((a - c).abs().amax(dim=(1, 2, 3)) > 60).all()  # texture


def test_shapes100_colour_says_nothing_about_the_class():
    x, y = shapes.generate(5000, 32, seed=0, classes=100)
    xt, yt = shapes.generate(2000, 32, seed=0, split="test", classes=100)
    colour = lambda imgs: imgs.float().mean(dim=(2, 3)) / 255
    centres = torch.stack([colour(x[y == k]).mean(0) for k in range(100)])
    acc = (torch.cdist(colour(xt), centres).argmin(1) == yt).float().mean().item()
    assert acc < 0.025, f"mean colour predicts the class ({acc:.3f}); chance is 0.01"


def test_load_shapes100_and_its_sizes(monkeypatch):
    monkeypatch.setattr(data, "SHAPES100_SIZES", (300, 100))
    ds = data.load("shapes100", resolution=64)
    assert ds.name == "shapes100" and ds.classes == shapes.MANY_CLASSES and ds.resolution == 64
    assert (len(ds.train), len(ds.test)) == (300, 100)
    assert data.shapes_dataset(32, 50, 20, classes=100).num_classes == 100
    with pytest.raises(ValueError, match="10 classes"):
        data.shapes_dataset(32, classes=50)


def test_resized_keeps_labels_and_statistics():
    ds = data.shapes_dataset(64, 40, 20, classes=100)
    small = ds.resized(32)
    assert small.resolution == 32 and torch.equal(small.train.labels, ds.train.labels)
    assert small.mean == ds.mean and small.classes == ds.classes
    # Antialiased: a 2x downscale is close to the mean of each 2x2 block.
    blocks = torch.nn.functional.avg_pool2d(ds.test.images.float(), 2)
    assert (small.test.images.float() - blocks).abs().mean() < 6
    with pytest.raises(ValueError, match="resolution"):
        ds.resized(4)


def test_first_classes_keeps_those_classes_whole():
    ds = data.shapes_dataset(32, 400, 200, classes=100)
    few = ds.first_classes(20)
    assert few.classes == ds.classes[:20] and few.num_classes == 20
    assert len(few.train) == (ds.train.labels < 20).sum() and int(few.train.labels.max()) == 19
    assert torch.equal(few.test.images, ds.test.images[ds.test.labels < 20])
    with pytest.raises(ValueError, match="from 1 to 100"):
        ds.first_classes(101)


def test_for_lesson_takes_a_class_subset_before_the_budgets_cut(monkeypatch):
    monkeypatch.setenv(data.OFFLINE_ENV, "1")
    monkeypatch.setattr(data, "SHAPES100_SIZES", (3000, 1000))
    ds = data.for_lesson("cifar100", budget="smoke", classes=20, data_dir="/nonexistent/smallnets")
    smoke = data._budget.get("smoke")
    assert ds.num_classes == 20 and ds.classes == shapes.MANY_CLASSES[:20] and ds.notice
    # All of the budget's images come from those 20 classes, balanced.
    assert (len(ds.train), len(ds.test)) == (smoke.train_size, min(smoke.test_size, 200))
    assert torch.bincount(ds.train.labels, minlength=20).min() >= smoke.train_size // 20 - 1
