"""Official formats, download, extraction and their faults, on tiny archives built here.

Each archive is written in exactly the official layout (pickled CIFAR batches, the Tiny-ImageNet
zip with JPEGs and annotation files) and served from a ``file://`` URL; the checksum table entry is
swapped for one with this archive's md5s. Nothing touches the network.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from smallnets_edu import data

N_PER_BATCH = 20


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def _pixel(c: int, y: int, x: int) -> int:
    """A distinct-enough value for each (channel, row, column) of the marker image."""
    return (c * 97 + y * 7 + x * 3) % 256


def _marker_row() -> np.ndarray:
    # Written index by index from the documented layout (1024 R, 1024 G, 1024 B, row-major), not by a
    # reshape, so the test does not share the loader's assumption.
    row = np.zeros(3072, dtype=np.uint8)
    for c in range(3):
        for y in range(32):
            for x in range(32):
                row[c * 1024 + y * 32 + x] = _pixel(c, y, x)
    return row


def _tar_gz(dest: Path, folder: Path) -> None:
    with tarfile.open(dest, "w:gz") as tf:
        tf.add(folder, arcname=folder.name)


def _serve(monkeypatch, key: str, archive_path: Path, folder: str, files: dict[str, str]) -> data.Archive:
    entry = data.Archive(
        key.upper(), archive_path.name, archive_path.as_uri(), _md5(archive_path), folder, files
    )
    monkeypatch.setitem(data.ARCHIVES, key, entry)
    return entry


def build_cifar10(tmp: Path, seed: int = 0) -> tuple[Path, dict[str, str], dict]:
    """cifar-10-python.tar.gz with 5 train batches and a test batch of N_PER_BATCH images each."""
    rng = np.random.default_rng(seed)
    src = tmp / "build10" / "cifar-10-batches-py"
    src.mkdir(parents=True)
    expected = {"train": [], "train_labels": [], "test": None, "test_labels": None}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        rows = rng.integers(0, 256, (N_PER_BATCH, 3072), dtype=np.uint8)
        if name == "data_batch_1":
            rows[0] = _marker_row()
        labels = [int(v) for v in rng.integers(0, 10, N_PER_BATCH)]
        batch = {
            "batch_label": f"{name} of 5",
            "labels": labels,
            "data": rows,
            "filenames": [f"img_{i}.png" for i in range(N_PER_BATCH)],
        }
        (src / name).write_bytes(pickle.dumps(batch, protocol=2))
        if name == "test_batch":
            expected["test"], expected["test_labels"] = rows, labels
        else:
            expected["train"].append(rows)
            expected["train_labels"] += labels
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    meta = {"num_cases_per_batch": N_PER_BATCH, "label_names": names, "num_vis": 3072}
    (src / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    files = {p.name: _md5(p) for p in src.iterdir()}
    served = tmp / "server"
    served.mkdir(exist_ok=True)
    archive = served / "cifar-10-python.tar.gz"
    _tar_gz(archive, src)
    expected["classes"] = names
    return archive, files, expected


@pytest.fixture
def cifar10(tmp_path, monkeypatch):
    archive, files, expected = build_cifar10(tmp_path)
    entry = _serve(monkeypatch, "cifar10", archive, "cifar-10-batches-py", files)
    root = tmp_path / "data"
    return root, entry, expected


def test_cifar10_download_decode_pixel_layout_and_cache(cifar10):
    root, _entry, expected = cifar10
    ds = data.load("cifar10", data_dir=root)
    assert (root / "cifar-10-python.tar.gz").is_file() and (root / "cifar-10-batches-py").is_dir()
    assert ds.classes == expected["classes"] and ds.num_classes == 10 and ds.resolution == 32
    assert ds.train.images.shape == (5 * N_PER_BATCH, 3, 32, 32) and ds.train.images.dtype == torch.uint8
    assert ds.train.images.is_contiguous() and ds.train.labels.dtype == torch.int64
    assert ds.train.labels.tolist() == expected["train_labels"]
    assert ds.test.labels.tolist() == expected["test_labels"]
    marker = ds.train.images[0]
    for c, y, x in [(0, 0, 0), (0, 0, 31), (0, 31, 0), (1, 5, 17), (2, 31, 31), (2, 12, 3)]:
        assert marker[c, y, x].item() == _pixel(c, y, x), (c, y, x)
    # Stats are those of the train images in [0, 1].
    ref = torch.from_numpy(np.concatenate(expected["train"]).reshape(-1, 3, 1024)).double() / 255
    assert np.allclose(ds.mean, ref.mean(dim=(0, 2)).numpy(), atol=1e-6)
    assert np.allclose(ds.std, ref.permute(1, 0, 2).reshape(3, -1).std(dim=1, unbiased=False), atol=1e-5)

    # Second load: the cache alone is enough (archive and folder gone, no download possible).
    (root / "cifar-10-python.tar.gz").unlink()
    import shutil

    shutil.rmtree(root / "cifar-10-batches-py")
    again = data.load("cifar10", data_dir=root, download=False)
    assert torch.equal(again.train.images, ds.train.images) and torch.equal(again.test.labels, ds.test.labels)
    assert again.classes == ds.classes and again.mean == pytest.approx(ds.mean)


def build_cifar100(tmp_path: Path) -> tuple[Path, dict[str, str], dict]:
    """cifar-100-python.tar.gz with 30 train and 10 test images, 100 fine classes (20 coarse)."""
    rng = np.random.default_rng(1)
    src = tmp_path / "build" / "cifar-100-python"
    src.mkdir(parents=True)
    fine_names = [f"fine{i:02d}" for i in range(100)]
    labels = {}
    for name, n in [("train", 30), ("test", 10)]:
        fine = [int(v) for v in rng.integers(0, 100, n)]
        coarse = [f // 5 for f in fine]
        labels[name] = fine
        batch = {
            "filenames": [f"{i}.png" for i in range(n)],
            "batch_label": f"{name} batch",
            "fine_labels": fine,
            "coarse_labels": coarse,
            "data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
        }
        (src / name).write_bytes(pickle.dumps(batch, protocol=2))
    meta = {"fine_label_names": fine_names, "coarse_label_names": [f"coarse{i}" for i in range(20)]}
    (src / "meta").write_bytes(pickle.dumps(meta, protocol=2))
    files = {p.name: _md5(p) for p in src.iterdir()}
    (tmp_path / "server").mkdir(exist_ok=True)
    archive = tmp_path / "server" / "cifar-100-python.tar.gz"
    _tar_gz(archive, src)
    return archive, files, {"labels": labels, "fine_names": fine_names}


def test_cifar100_uses_fine_labels_and_names(tmp_path, monkeypatch):
    archive, files, expected = build_cifar100(tmp_path)
    labels, fine_names = expected["labels"], expected["fine_names"]
    _serve(monkeypatch, "cifar100", archive, "cifar-100-python", files)

    ds = data.load("cifar100", data_dir=tmp_path / "data")
    assert ds.classes == fine_names and ds.num_classes == 100
    assert ds.train.labels.tolist() == labels["train"] and ds.test.labels.tolist() == labels["test"]
    assert len(ds.train) == 30 and len(ds.test) == 10


def _jpeg(color, mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, (64, 64), color).save(buf, format="JPEG", quality=95)
    return buf.getvalue()


def build_tinyimagenet(tmp: Path) -> tuple[Path, dict]:
    """tiny-imagenet-200.zip with 3 classes (listed unsorted), 2 train and 2 val images each."""
    wnids = ["n09999999", "n01443537", "n02124075"]  # unsorted on purpose: index = sorted position
    colours = {"n01443537": (200, 30, 30), "n02124075": (30, 200, 30), "n09999999": (30, 30, 200)}
    words = (
        "n00001740\tentity\n"
        "n01443537\tgoldfish, Carassius auratus\n"
        "n02124075\tEgyptian cat\n"
        "n09999999\tthing, other thing\n"
        "n04067472\treel\n"
    )
    archive = tmp / "server" / "tiny-imagenet-200.zip"
    archive.parent.mkdir(parents=True, exist_ok=True)
    val_lines, val_expected = [], []
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("tiny-imagenet-200/wnids.txt", "\n".join(wnids) + "\n")
        zf.writestr("tiny-imagenet-200/words.txt", words)
        for w in wnids:
            zf.writestr(f"tiny-imagenet-200/train/{w}/{w}_boxes.txt", f"{w}_0.JPEG\t0\t0\t63\t63\n")
            for k in range(2):
                zf.writestr(f"tiny-imagenet-200/train/{w}/images/{w}_{k}.JPEG", _jpeg(colours[w]))
        k = 0
        for w in sorted(wnids, reverse=True):
            for _ in range(2):
                gray = k == 0  # one grayscale image, as in the real set
                img = _jpeg(90, "L") if gray else _jpeg(colours[w])
                zf.writestr(f"tiny-imagenet-200/val/images/val_{k}.JPEG", img)
                val_lines.append(f"val_{k}.JPEG\t{w}\t0\t0\t63\t63")
                val_expected.append((w, gray))
                k += 1
        zf.writestr("tiny-imagenet-200/val/val_annotations.txt", "\n".join(val_lines) + "\n")
        zf.writestr("tiny-imagenet-200/test/images/test_0.JPEG", _jpeg((1, 2, 3)))
    return archive, {"colours": colours, "val": val_expected, "wnids": sorted(wnids)}


def test_tinyimagenet_zip_decodes_labels_names_and_grayscale(tmp_path, monkeypatch):
    archive, exp = build_tinyimagenet(tmp_path)
    _serve(monkeypatch, "tinyimagenet", archive, "tiny-imagenet-200", {})
    ds = data.load("tinyimagenet", data_dir=tmp_path / "data")
    assert ds.classes == ["goldfish", "Egyptian cat", "thing"]  # sorted wnids, first synonym
    assert ds.resolution == 64 and len(ds.train) == 6 and len(ds.test) == 6
    for img, label in zip(ds.train.images, ds.train.labels.tolist(), strict=True):
        colour = exp["colours"][exp["wnids"][label]]
        assert np.allclose(img.float().mean(dim=(1, 2)).numpy(), colour, atol=3)
    for img, label, (wnid, gray) in zip(ds.test.images, ds.test.labels.tolist(), exp["val"], strict=True):
        assert exp["wnids"][label] == wnid
        if gray:
            assert torch.equal(img[0], img[1]) and torch.equal(img[1], img[2])
            assert abs(img.float().mean().item() - 90) < 3
        else:
            assert np.allclose(img.float().mean(dim=(1, 2)).numpy(), exp["colours"][wnid], atol=3)
    # The cache reproduces it exactly.
    again = data.load("tinyimagenet", data_dir=tmp_path / "data", download=False)
    assert torch.equal(again.test.images, ds.test.images) and again.classes == ds.classes


# ------------------------------------------------------------------------------------------------
# Faults
# ------------------------------------------------------------------------------------------------


def _leftovers(root: Path) -> list[str]:
    """Temporary files or folders a failed operation might leave behind."""
    return sorted(p.name for p in root.iterdir() if p.name.startswith(".") or p.suffix == ".part")


def test_truncated_archive_is_removed_and_a_redownload_replaces_it(cifar10):
    root, entry, _ = cifar10
    root.mkdir()
    good = Path(entry.url.removeprefix("file://")).read_bytes()
    local = root / entry.filename
    local.write_bytes(good[: len(good) // 2])
    with pytest.raises(data.CorruptDataError, match=r"md5.*removed"):
        data.load("cifar10", data_dir=root, download=False)
    assert not local.exists() and not (root / entry.folder).exists()
    ds = data.load("cifar10", data_dir=root)  # downloads a fresh copy
    assert len(ds.train) == 5 * N_PER_BATCH and _md5(local) == entry.md5


def test_corrupt_archive_without_verification_leaves_nothing_half_extracted(cifar10):
    root, entry, _ = cifar10
    root.mkdir()
    good = Path(entry.url.removeprefix("file://")).read_bytes()
    local = root / entry.filename
    local.write_bytes(good[: int(len(good) * 0.7)])  # gzip stream cut mid-way
    with pytest.raises(data.CorruptDataError, match="could not unpack"):
        data.load("cifar10", data_dir=root, download=False, verify=False)
    assert not local.exists(), "the damaged archive must go so the next run downloads it again"
    assert not (root / entry.folder).exists() and _leftovers(root) == []
    assert len(data.load("cifar10", data_dir=root, verify=False).train) == 5 * N_PER_BATCH


def test_downloaded_file_with_wrong_md5_is_discarded(cifar10, monkeypatch):
    root, entry, _ = cifar10
    bad = data.Archive(entry.title, entry.filename, entry.url, "0" * 32, entry.folder, entry.files)
    monkeypatch.setitem(data.ARCHIVES, "cifar10", bad)
    with pytest.raises(data.CorruptDataError, match=f"md5 {entry.md5}, expected {'0' * 32}"):
        data.load("cifar10", data_dir=root)
    assert not (root / entry.filename).exists() and _leftovers(root) == []


def test_extracted_file_with_wrong_md5_is_refused_unless_verify_is_off(cifar10, monkeypatch):
    root, entry, _ = cifar10
    data.load("cifar10", data_dir=root)
    (root / "cifar10.uint8.v1.pt").unlink()
    (root / entry.filename).unlink()  # no archive to repair the folder from
    batch = root / entry.folder / "data_batch_3"
    content = pickle.loads(batch.read_bytes(), encoding="latin1")
    content["labels"][0] = (content["labels"][0] + 1) % 10
    batch.write_bytes(pickle.dumps(content, protocol=2))
    with pytest.raises(data.CorruptDataError, match="data_batch_3 has md5"):
        data.load("cifar10", data_dir=root, download=False)
    ds = data.load("cifar10", data_dir=root, download=False, verify=False)
    assert ds.train.labels[2 * N_PER_BATCH].item() == content["labels"][0]
    # A cache built without verification is not trusted by a verified load.
    with pytest.raises(data.CorruptDataError, match="data_batch_3"):
        data.load("cifar10", data_dir=root, download=False)


def test_damaged_folder_is_unpacked_again_from_the_archive(cifar10):
    root, entry, expected = cifar10
    data.load("cifar10", data_dir=root)
    (root / "cifar10.uint8.v1.pt").unlink()
    (root / entry.folder / "test_batch").write_bytes(b"damaged")
    (root / entry.folder / "data_batch_2").unlink()
    ds = data.load("cifar10", data_dir=root, download=False)
    assert ds.test.labels.tolist() == expected["test_labels"] and len(ds.train) == 5 * N_PER_BATCH
    assert _md5(root / entry.folder / "test_batch") == entry.files["test_batch"]
    assert _leftovers(root) == []


def test_no_network_message_names_url_md5_and_destination(tmp_path, monkeypatch):
    entry = data.ARCHIVES["cifar10"]
    unreachable = (tmp_path / "no-such-host" / entry.filename).as_uri()
    monkeypatch.setitem(
        data.ARCHIVES,
        "cifar10",
        data.Archive(entry.title, entry.filename, unreachable, entry.md5, entry.folder),
    )
    root = tmp_path / "data"
    dest = str(root / entry.filename)
    with pytest.raises(data.DatasetUnavailable) as err:
        data.load("cifar10", data_dir=root)
    assert unreachable in str(err.value) and entry.md5 in str(err.value) and dest in str(err.value)
    assert _leftovers(root) == [] and not (root / entry.filename).exists()
    with pytest.raises(data.DatasetUnavailable, match="downloading is off") as err:
        data.load("cifar10", data_dir=root, download=False)
    assert dest in str(err.value) and entry.md5 in str(err.value)


def test_offline_environment_variable_skips_the_download(cifar10, monkeypatch):
    root, _entry, _ = cifar10
    monkeypatch.setenv(data.OFFLINE_ENV, "1")
    with pytest.raises(data.DatasetUnavailable, match="downloading is off"):
        data.load("cifar10", data_dir=root)


@pytest.mark.parametrize("kind", ["zip", "tar"])
def test_archive_member_outside_the_target_is_refused(tmp_path, monkeypatch, kind):
    server = tmp_path / "server"
    server.mkdir()
    if kind == "zip":
        archive = server / "tiny-imagenet-200.zip"
        with zipfile.ZipFile(archive, "w") as zf:
            zf.writestr("tiny-imagenet-200/wnids.txt", "n01443537\n")
            zf.writestr("tiny-imagenet-200/../../escaped.txt", "gotcha")
        key, folder = "tinyimagenet", "tiny-imagenet-200"
    else:
        archive = server / "cifar-10-python.tar.gz"
        with tarfile.open(archive, "w:gz") as tf:
            info = tarfile.TarInfo("cifar-10-batches-py/../../escaped.txt")
            info.size = 6
            tf.addfile(info, io.BytesIO(b"gotcha"))
        key, folder = "cifar10", "cifar-10-batches-py"
    _serve(monkeypatch, key, archive, folder, {})
    root = tmp_path / "data"
    with pytest.raises(data.CorruptDataError, match=r"refusing to unpack.*escaped.txt"):
        data.load(key, data_dir=root)
    assert not list(tmp_path.rglob("escaped.txt"))
    assert not (root / folder).exists() and _leftovers(root) == []


def test_absolute_member_names_unpack_inside_the_data_folder(tmp_path, monkeypatch):
    """A tar whose members have absolute names ("/cifar-10-batches-py/...") unpacks inside the data folder
    (the data filter strips the leading slash) and loads; nothing is written at the absolute path."""
    _, files, expected = build_cifar10(tmp_path)
    src = tmp_path / "build10" / "cifar-10-batches-py"
    archive = tmp_path / "abs-server" / "cifar-10-python.tar.gz"
    archive.parent.mkdir()
    with tarfile.open(archive, "w:gz") as tf:
        for path in sorted(src.iterdir()):
            tf.add(path, arcname=f"/cifar-10-batches-py/{path.name}")
    _serve(monkeypatch, "cifar10", archive, "cifar-10-batches-py", files)
    root = tmp_path / "data"
    ds = data.load("cifar10", data_dir=root)
    assert ds.train.labels.tolist() == expected["train_labels"]
    assert not Path("/cifar-10-batches-py").exists() and _leftovers(root) == []


def test_unknown_dataset_lists_the_valid_ones():
    with pytest.raises(
        ValueError, match=r"unknown dataset 'mnist'.*cifar10, cifar100, tinyimagenet, imagefolder, shapes"
    ):
        data.load("mnist")
    with pytest.raises(ValueError, match="unknown dataset"):
        data.for_lesson("imagenet")


# ------------------------------------------------------------------------------------------------
# Fallback for lessons
# ------------------------------------------------------------------------------------------------


@pytest.fixture
def small_shapes(monkeypatch):
    monkeypatch.setattr(data, "SHAPES_SIZES", (600, 300))
    monkeypatch.setattr(data, "SHAPES100_SIZES", (600, 300))


@pytest.mark.parametrize(
    "name, resolution, offline, classes",
    [
        ("cifar10", 32, "shapes", 10),
        ("cifar100", 32, "shapes100", 100),
        ("tinyimagenet", 64, "shapes100", 100),
    ],
)
def test_for_lesson_falls_back_to_shapes_with_a_visible_notice(
    tmp_path, monkeypatch, capsys, small_shapes, name, resolution, offline, classes
):
    entry = data.ARCHIVES[name]
    monkeypatch.setitem(
        data.ARCHIVES,
        name,
        data.Archive(entry.title, entry.filename, (tmp_path / "offline").as_uri(), entry.md5, entry.folder),
    )
    root = tmp_path / "data"
    ds = data.for_lesson(name, budget="smoke", data_dir=root)
    assert ds.name == offline and ds.resolution == resolution and ds.num_classes == classes
    assert len(ds.train) == 512 and len(ds.test) == 256  # the smoke budget's sizes
    for text in (ds.notice, capsys.readouterr().err):
        assert entry.title in text and entry.md5 in text and str(root / entry.filename) in text
        assert f"offline '{offline}' dataset instead ({classes} classes" in text


def test_for_lesson_uses_the_real_dataset_when_present(cifar10, capsys):
    root, _entry, _ = cifar10
    ds = data.for_lesson("cifar10", budget="smoke", data_dir=root)
    assert ds.name == "cifar10" and ds.notice is None and len(ds.train) == 5 * N_PER_BATCH
    assert "WARNING" not in capsys.readouterr().err


def test_notice_is_an_html_box_in_a_notebook(monkeypatch, capsys):
    shown = []
    import IPython.display

    monkeypatch.setattr(data, "_in_notebook", lambda: True)
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    data.show_notice("fetch <this> from there")
    assert len(shown) == 1 and "fetch &lt;this&gt; from there" in shown[0].data and "<div" in shown[0].data
    assert capsys.readouterr().err == ""


# ------------------------------------------------------------------------------------------------
# Image folders
# ------------------------------------------------------------------------------------------------


def _png(path: Path, colour, size=(16, 16), mode="RGB") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, colour).save(path)


def test_imagefolder_loads_classes_in_order_with_val_or_test(tmp_path):
    for split in ("train", "test"):
        _png(tmp_path / split / "cat" / "a.png", (255, 0, 0))
        _png(tmp_path / split / "dog" / "b.png", (0, 0, 255))
        _png(tmp_path / split / "dog" / "c.png", 128, mode="L")
    (tmp_path / "train" / "dog" / "notes.txt").write_text("not an image")
    ds = data.load("imagefolder", root=tmp_path)
    assert ds.classes == ["cat", "dog"] and ds.train.labels.tolist() == [0, 1, 1] and ds.resolution == 16
    assert ds.train.images[0, :, 0, 0].tolist() == [255, 0, 0]
    assert ds.train.images[2, :, 5, 5].tolist() == [128, 128, 128]
    resized = data.load("imagefolder", root=tmp_path, resolution=8)
    assert resized.train.images.shape == (3, 3, 8, 8) and resized.train.images[1, 2, 4, 4] == 255


def test_imagefolder_bad_input(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        data.load("imagefolder", root=tmp_path / "missing")
    with pytest.raises(ValueError, match="needs root"):
        data.load("imagefolder")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match=r"must hold train/.*found: nothing"):
        data.load("imagefolder", root=empty)
    no_classes = tmp_path / "noclasses"
    (no_classes / "train").mkdir(parents=True)
    (no_classes / "val").mkdir()
    with pytest.raises(ValueError, match="has no class folders"):
        data.load("imagefolder", root=no_classes)
    empty_class = tmp_path / "emptyclass"
    _png(empty_class / "train" / "cat" / "a.png", 0)
    (empty_class / "train" / "dog").mkdir()
    _png(empty_class / "val" / "cat" / "a.png", 0)
    with pytest.raises(ValueError, match=r"class folder .*dog holds no PNG or JPEG"):
        data.load("imagefolder", root=empty_class)


def test_imagefolder_unreadable_and_mismatched_images_name_the_file(tmp_path):
    _png(tmp_path / "train" / "cat" / "a.png", 0)
    _png(tmp_path / "val" / "cat" / "a.png", 0)
    broken = tmp_path / "train" / "cat" / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with pytest.raises(ValueError, match=f"cannot read image {broken}"):
        data.load("imagefolder", root=tmp_path)
    broken.unlink()
    _png(tmp_path / "train" / "cat" / "big.png", 0, size=(20, 24))
    with pytest.raises(ValueError, match=r"differ in size.*big.png is 20x24.*resolution="):
        data.load("imagefolder", root=tmp_path)
    ds = data.load("imagefolder", root=tmp_path, resolution=12)
    assert ds.train.images.shape == (2, 3, 12, 12)
    _png(tmp_path / "val" / "bird" / "a.png", 0)
    with pytest.raises(ValueError, match=r"classes that .* lacks: bird"):
        data.load("imagefolder", root=tmp_path, resolution=12)
