"""Decoding the official formats (CIFAR pickles, Tiny-ImageNet JPEGs) and image folders, and the cache.

The first load decodes once into a compact uint8 cache next to the archive
(``<name>.uint8.v1.pt``: uint8 tensors, labels, class names, channel statistics; read back with
``torch.load(weights_only=True)``), so later loads take a fraction of a second instead of decoding
50,000 pickled rows or 110,000 JPEGs again.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch

from ..files import atomic_write
from . import download as dl
from .core import CorruptDataError, Dataset, DatasetUnavailable, Split, make_dataset

CACHE_VERSION = 1
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


# --------------------------------------------------------------------------------------------------
# Cache
# --------------------------------------------------------------------------------------------------


def cache_path(root: Path, name: str) -> Path:
    return root / f"{name}.uint8.v{CACHE_VERSION}.pt"


def save_cache(path: Path, ds: Dataset, *, verified: bool) -> None:
    """Write atomically (temporary file + rename): an interrupted save never leaves a bad cache."""
    payload = {
        "version": CACHE_VERSION,
        "name": ds.name,
        "classes": list(ds.classes),
        "train_images": ds.train.images,
        "train_labels": ds.train.labels,
        "test_images": ds.test.images,
        "test_labels": ds.test.labels,
        "mean": list(ds.mean),
        "std": list(ds.std),
        "verified": verified,
    }
    atomic_write(path, lambda f: torch.save(payload, f))


def load_cache(path: Path, *, need_verified: bool) -> Dataset | None:
    """The cached dataset, or None when there is none, it is unreadable, or it lacks a needed check."""
    if not path.is_file():
        return None
    try:
        p = torch.load(path, weights_only=True)
        if p.get("version") != CACHE_VERSION:
            return None
        ds = Dataset(
            p["name"],
            Split(p["train_images"], p["train_labels"]),
            Split(p["test_images"], p["test_labels"]),
            [str(c) for c in p["classes"]],
            tuple(float(x) for x in p["mean"]),
            tuple(float(x) for x in p["std"]),
        )
    except Exception:  # truncated or foreign file: rebuild it from the source
        path.unlink(missing_ok=True)
        return None
    if need_verified and not p.get("verified", False):
        return None  # built from a copy loaded with verify=False: decode again, this time checked
    return ds


# --------------------------------------------------------------------------------------------------
# Official datasets: cache -> extracted folder -> local archive -> download
# --------------------------------------------------------------------------------------------------


def load_official(name: str, root: Path, *, download: bool, verify: bool) -> Dataset:
    """CIFAR-10, CIFAR-100 or Tiny-ImageNet from ``root``, fetching and unpacking what is missing."""
    archive = dl.ARCHIVES[name]  # looked up now, not at import: tests swap entries for small archives
    cache = cache_path(root, name)
    ds = load_cache(cache, need_verified=verify)
    if ds is not None:
        return ds
    folder = root / archive.folder
    archive_path = root / archive.filename
    if not folder.is_dir():
        _unpack(archive, archive_path, root, download=download, verify=verify)
    if verify and archive.files:
        try:
            dl.check_files(archive, folder)
        except CorruptDataError:
            if not archive_path.is_file():
                raise
            # The folder is damaged but the archive is here: unpack it again over the folder.
            _unpack(archive, archive_path, root, download=download, verify=verify, replace=True)
            dl.check_files(archive, folder)
    train, test, classes = _DECODERS[name](folder)
    ds = make_dataset(name, train, test, classes)
    save_cache(cache, ds, verified=verify)
    return ds


def _unpack(
    archive: dl.Archive,
    archive_path: Path,
    root: Path,
    *,
    download: bool,
    verify: bool,
    replace: bool = False,
) -> None:
    if archive_path.is_file():
        if verify:
            dl.check_archive(archive, archive_path)
    elif download:
        dl.download(archive, archive_path)
    else:
        raise DatasetUnavailable(
            f"{archive.title} is not in {root} (neither the folder {archive.folder}/ nor "
            f"{archive.filename}) and downloading is off. " + dl.how_to_fetch(archive, archive_path)
        )
    dl.extract(archive, archive_path, root, replace=replace)


# --------------------------------------------------------------------------------------------------
# CIFAR: pickled batches, rows of 1024 red, 1024 green, 1024 blue values (row-major 32x32)
# --------------------------------------------------------------------------------------------------

# What the official pickles reference (numpy arrays; `_codecs.encode` carries bytes in protocol 2).
# Anything else in a pickle is refused: unpickling can run arbitrary code.
_PICKLE_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),
}


class _CifarUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        canonical = module.replace("numpy._core", "numpy.core", 1)
        if (canonical, name) not in _PICKLE_ALLOWED:
            raise pickle.UnpicklingError(f"unexpected object {module}.{name}")
        if canonical.startswith("numpy.core") and hasattr(np, "_core"):
            module = canonical.replace("numpy.core", "numpy._core", 1)  # numpy 2: no deprecation warning
        return super().find_class(module, name)


def _unpickle(path: Path) -> dict:
    try:
        with open(path, "rb") as f:
            return _CifarUnpickler(f, encoding="latin1").load()
    except FileNotFoundError as e:
        raise CorruptDataError(f"{path} is missing; the folder {path.parent} is incomplete") from e
    except Exception as e:
        raise CorruptDataError(f"{path} is not a CIFAR batch file ({e})") from e


def _cifar_split(folder: Path, files: Sequence[str], label_key: str) -> Split:
    rows, labels = [], []
    for name in files:
        batch = _unpickle(folder / name)
        try:
            data = np.asarray(batch["data"], dtype=np.uint8)
            lab = np.asarray(batch[label_key], dtype=np.int64)
        except (KeyError, TypeError, ValueError) as e:
            raise CorruptDataError(
                f"{folder / name} lacks CIFAR's 'data' / '{label_key}' entries ({e})"
            ) from e
        if data.ndim != 2 or data.shape[1] != 3072 or lab.shape != (data.shape[0],):
            raise CorruptDataError(
                f"{folder / name}: expected data of shape (N, 3072) and N labels, "
                f"got {data.shape} and {lab.shape}"
            )
        rows.append(data)
        labels.append(lab)
    # Each row is the R plane, then G, then B, each 32 rows of 32: exactly (3, 32, 32) in C order.
    images = torch.from_numpy(np.concatenate(rows).reshape(-1, 3, 32, 32))
    return Split(images, torch.from_numpy(np.concatenate(labels)))


def _meta_names(path: Path, key: str) -> list[str]:
    meta = _unpickle(path)
    try:
        return [str(n) for n in meta[key]]
    except KeyError as e:
        raise CorruptDataError(f"{path} has no '{key}' entry") from e


def _decode_cifar10(folder: Path) -> tuple[Split, Split, list[str]]:
    train = _cifar_split(folder, [f"data_batch_{i}" for i in range(1, 6)], "labels")
    test = _cifar_split(folder, ["test_batch"], "labels")
    return train, test, _meta_names(folder / "batches.meta", "label_names")


def _decode_cifar100(folder: Path) -> tuple[Split, Split, list[str]]:
    train = _cifar_split(folder, ["train"], "fine_labels")
    test = _cifar_split(folder, ["test"], "fine_labels")
    return train, test, _meta_names(folder / "meta", "fine_label_names")


# --------------------------------------------------------------------------------------------------
# Tiny-ImageNet-200: JPEG folders; class index = position in sorted wnids
# --------------------------------------------------------------------------------------------------


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as e:
        raise CorruptDataError(f"{path} is missing; the folder {path.parent} is incomplete") from e


def _decode_tinyimagenet(folder: Path) -> tuple[Split, Split, list[str]]:
    wnids = sorted({line.strip() for line in _read_lines(folder / "wnids.txt") if line.strip()})
    index = {w: i for i, w in enumerate(wnids)}
    words = {}
    for line in _read_lines(folder / "words.txt"):
        wnid, _, text = line.partition("\t")
        if wnid in index:
            words[wnid] = text
    # words.txt lists synonyms ("goldfish, Carassius auratus"): the first is the readable name.
    classes = [words.get(w, w).split(",")[0].strip() or w for w in wnids]

    train_paths, train_labels = [], []
    for w in wnids:
        files = sorted(p for p in (folder / "train" / w / "images").glob("*") if _is_image(p))
        if not files:
            raise CorruptDataError(f"{folder / 'train' / w / 'images'} has no images")
        train_paths += files
        train_labels += [index[w]] * len(files)
    val_paths, val_labels = [], []
    annotations = folder / "val" / "val_annotations.txt"
    for line_no, line in enumerate(_read_lines(annotations), 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) < 2 or parts[1] not in index:
            raise CorruptDataError(
                f"{annotations}, line {line_no}: expected 'file<TAB>wnid<TAB>...', got {line!r}"
            )
        val_paths.append(folder / "val" / "images" / parts[0])
        val_labels.append(index[parts[1]])
    train = Split(read_images(train_paths, 64, desc="Tiny-ImageNet train"), torch.tensor(train_labels))
    test = Split(read_images(val_paths, 64, desc="Tiny-ImageNet val"), torch.tensor(val_labels))
    return train, test, classes


_DECODERS = {"cifar10": _decode_cifar10, "cifar100": _decode_cifar100, "tinyimagenet": _decode_tinyimagenet}


# --------------------------------------------------------------------------------------------------
# Images from files (Tiny-ImageNet and image folders)
# --------------------------------------------------------------------------------------------------


def _is_image(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".") and path.is_file()


def _open_rgb(path: Path, size: int | None) -> np.ndarray:
    """(H, W, 3) uint8; grayscale and palette images become RGB; ``size`` resizes and centre-crops."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            im = im.convert("RGB")
            if size is not None and im.size != (size, size):
                # Shorter side to `size`, then the central square: no stretching of non-square photos.
                w, h = im.size
                scale = size / min(w, h)
                nw, nh = max(size, round(w * scale)), max(size, round(h * scale))
                im = im.resize((nw, nh), Image.BICUBIC)
                left, top = (nw - size) // 2, (nh - size) // 2
                im = im.crop((left, top, left + size, top + size))
            return np.asarray(im, dtype=np.uint8)
    except FileNotFoundError as e:
        raise ValueError(f"image {path} is missing") from e
    except Exception as e:
        raise ValueError(f"cannot read image {path}: {e}") from e


def read_images(paths: Sequence[Path], size: int | None, *, desc: str = "decoding") -> torch.Tensor:
    """Decode image files into one uint8 (N, 3, H, W) tensor, with threads (PIL decodes without the GIL).

    With ``size=None`` all images must share one size; otherwise each is resized to ``size``.
    """
    if not paths:
        return torch.empty(0, 3, size or 0, size or 0, dtype=torch.uint8)
    first = _open_rgb(paths[0], size)
    h, w = first.shape[:2]
    out = np.empty((len(paths), 3, h, w), dtype=np.uint8)  # filled in place: no second full-size copy

    def work(i: int) -> None:
        img = first if i == 0 else _open_rgb(paths[i], size)
        if img.shape[:2] != (h, w):
            raise ValueError(
                f"images differ in size: {paths[0]} is {w}x{h} but {paths[i]} is "
                f"{img.shape[1]}x{img.shape[0]}; "
                f"pass resolution=<pixels> to resize them all"
            )
        out[i] = img.transpose(2, 0, 1)

    from tqdm.auto import tqdm

    workers = min(8, os.cpu_count() or 1)
    with ThreadPoolExecutor(workers) as pool:
        # list(): re-raises the first error in the caller, naming the file.
        list(
            tqdm(
                pool.map(work, range(len(paths)), chunksize=64),
                total=len(paths),
                desc=desc,
                disable=len(paths) < 2000,
                unit="img",
            )
        )
    return torch.from_numpy(out)


def _class_files(folder: Path) -> dict[str, list[Path]]:
    """{class: sorted image files} for each visible subfolder; an empty class folder is an error."""
    out = {}
    for d in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files = sorted(p for p in d.iterdir() if _is_image(p))
        if not files:
            raise ValueError(f"class folder {d} holds no PNG or JPEG images; add images or remove it")
        out[d.name] = files
    return out


def load_imagefolder(root: str | Path | None, resolution: int | None) -> Dataset:
    """``root/train/<class>/*`` and ``root/val/<class>/*`` (or ``root/test/...``), PNG or JPEG."""
    if root is None:
        raise ValueError("the imagefolder dataset needs root=<folder holding train/ and val/ (or test/)>")
    if resolution is not None and (
        isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 1
    ):
        raise ValueError(
            f"resolution must be a positive number of pixels (e.g. 32 or 64), got {resolution!r}"
        )
    root = Path(root).expanduser()
    if not root.is_dir():
        raise ValueError(f"image folder {root} does not exist (expected {root}/train/<class>/<images>)")
    train_dir = root / "train"
    test_dir = next((root / s for s in ("val", "test") if (root / s).is_dir()), None)
    if not train_dir.is_dir() or test_dir is None:
        raise ValueError(
            f"{root} must hold train/<class>/<images> and val/<class>/<images> (or test/...); "
            f"found: {sorted(p.name for p in root.iterdir()) or 'nothing'}"
        )
    train_files = _class_files(train_dir)
    if not train_files:
        raise ValueError(f"{train_dir} has no class folders (expected {train_dir}/<class>/<images>)")
    classes = list(train_files)
    test_files = _class_files(test_dir)
    unknown = sorted(set(test_files) - set(classes))
    if unknown:
        raise ValueError(f"{test_dir} has classes that {train_dir} lacks: {', '.join(unknown)}")
    if not test_files:
        raise ValueError(f"{test_dir} has no class folders (expected {test_dir}/<class>/<images>)")

    def split(files: dict[str, list[Path]], what: str) -> Split:
        paths = [p for c in classes for p in files.get(c, [])]
        labels = torch.tensor([i for i, c in enumerate(classes) for _ in files.get(c, [])], dtype=torch.int64)
        return Split(read_images(paths, resolution, desc=f"{root.name} {what}"), labels)

    train, test = split(train_files, "train"), split(test_files, "test")
    if train.images.shape[-2:] != test.images.shape[-2:]:
        raise ValueError(
            f"train images are {tuple(train.images.shape[-2:])} but test images "
            f"{tuple(test.images.shape[-2:])}; "
            f"pass resolution=<pixels> to resize them all"
        )
    if train.images.shape[-1] != train.images.shape[-2]:
        raise ValueError(f"images in {root} are not square; pass resolution=<pixels> to resize and crop them")
    return make_dataset("imagefolder", train, test, classes)
