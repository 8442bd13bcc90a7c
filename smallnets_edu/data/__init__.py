"""Datasets for the course: CIFAR-10/100, Tiny-ImageNet, your own image folders, and an offline one.

``load(name)`` returns a :class:`Dataset` whose splits are whole uint8 tensors in memory;
:class:`Loader` turns a split into normalised, augmented batches on any device. Lessons call
``for_lesson(name)``, which never fails for lack of a network: when the requested dataset is not on
disk and cannot be downloaded it falls back to the offline set (generated on the spot, see
:mod:`smallnets_edu.data.shapes`): ``shapes`` for CIFAR-10, the many-class ``shapes100`` for CIFAR-100
(32x32) and Tiny-ImageNet (64x64), and says, visibly, which file to fetch and where to put it.

Where files live: ``data_dir()``, i.e. the ``data_dir=`` argument, else ``$SMALLNETS_DATA``, else
``~/.cache/smallnets-edu/data``. Inside it the official archives keep their official names and unpack
to their official folders (``cifar-10-batches-py/``, ``cifar-100-python/``, ``tiny-imagenet-200/``),
the same layout torchvision uses, so a folder already prepared for torchvision works as is. The first
load decodes into ``<name>.uint8.v1.pt`` there; later loads read that in well under a second.

Order of attempts for the official datasets: cache -> unpacked folder -> archive in the data
directory -> download (``download=True``, unless ``$SMALLNETS_OFFLINE`` is set). With ``verify=True``
(the default) archives are checked against the published md5 and CIFAR's unpacked files against
their own published md5s; ``verify=False`` is for a copy you prepared yourself.
"""

from __future__ import annotations

import html
import os
import sys
from dataclasses import replace
from pathlib import Path

from .. import budget as _budget
from . import shapes as _shapes
from .core import CorruptDataError, Dataset, DatasetUnavailable, Split, make_dataset, resize_images
from .download import ARCHIVES, Archive
from .formats import load_imagefolder, load_official
from .loader import Loader

__all__ = [
    "ARCHIVES",
    "DATA_DIR_ENV",
    "OFFLINE_ENV",
    "Archive",
    "CorruptDataError",
    "Dataset",
    "DatasetUnavailable",
    "Loader",
    "Split",
    "data_dir",
    "for_lesson",
    "load",
    "names",
    "shapes_dataset",
]

DATA_DIR_ENV = "SMALLNETS_DATA"
OFFLINE_ENV = "SMALLNETS_OFFLINE"  # set (to anything but 0/false/no) to never try a download
DEFAULT_DATA_DIR = Path("~/.cache/smallnets-edu/data")
SHAPES_SIZES = (10_000, 2_000)  # train, test
SHAPES100_SIZES = (50_000, 10_000)  # as CIFAR-100's
_NAMES = ["cifar10", "cifar100", "tinyimagenet", "imagefolder", "shapes", "shapes100"]
_TITLES = {"cifar10": "CIFAR-10", "cifar100": "CIFAR-100", "tinyimagenet": "Tiny-ImageNet-200"}


def data_dir(path: str | Path | None = None) -> Path:
    """Where datasets live: ``path``, else ``$SMALLNETS_DATA``, else ``~/.cache/smallnets-edu/data``.

    Created if missing.
    """
    chosen = path if path is not None else os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR
    d = Path(chosen).expanduser().absolute()
    d.mkdir(parents=True, exist_ok=True)
    return d


_data_dir = data_dir  # `load` and `for_lesson` take a `data_dir` argument that hides the function


def names() -> list[str]:
    """The datasets ``load`` knows (``shapes`` is the offline one)."""
    return list(_NAMES)


def _canonical(name: str) -> str:
    key = str(name).lower().replace("-", "").replace("_", "")
    key = {"tinyimagenet200": "tinyimagenet"}.get(key, key)
    if key not in _NAMES:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(_NAMES)}")
    return key


def _offline() -> bool:
    return os.environ.get(OFFLINE_ENV, "").strip().lower() not in ("", "0", "false", "no")


def load(
    name: str,
    *,
    data_dir: str | Path | None = None,
    download: bool = True,
    verify: bool = True,
    root: str | Path | None = None,
    resolution: int | None = None,
    seed: int = 0,
) -> Dataset:
    """Load a dataset whole into memory as uint8.

    - ``cifar10``, ``cifar100``, ``tinyimagenet``: from the cache, the unpacked folder or the archive
      in ``data_dir``, downloading it if allowed. Raises :class:`DatasetUnavailable` (what to fetch,
      its md5 and the full destination path) or :class:`CorruptDataError` (which file, what to do).
    - ``imagefolder``: ``root/train/<class>/*`` and ``root/val/<class>/*`` (or ``root/test/...``),
      PNG or JPEG; with ``resolution`` every image is resized (shorter side) and centre-cropped,
      without it all images must share one square size.
    - ``shapes``: the offline dataset, 10,000 train / 2,000 test images generated from ``seed``
      (resolution 32 by default; 64 matches Tiny-ImageNet); ``shapes100``, its 100-class sibling,
      50,000 / 10,000 images.

    ``resolution`` also resizes the official datasets (antialiased bilinear) when it differs from
    their native size.
    """
    key = _canonical(name)
    if key in ("shapes", "shapes100"):
        return shapes_dataset(resolution or 32, seed=seed, classes=100 if key == "shapes100" else 10)
    if key == "imagefolder":
        return load_imagefolder(root, resolution)
    ds = load_official(key, _data_dir(data_dir), download=download and not _offline(), verify=verify)
    if resolution is not None and resolution != ds.resolution:
        train = Split(resize_images(ds.train.images, resolution), ds.train.labels)
        test = Split(resize_images(ds.test.images, resolution), ds.test.labels)
        ds = make_dataset(ds.name, train, test, ds.classes)
    return ds


def shapes_dataset(
    resolution: int = 32,
    train_size: int | None = None,
    test_size: int | None = None,
    seed: int = 0,
    classes: int = 10,
) -> Dataset:
    """The offline dataset, generating only the images asked for: ``classes=10``, ``shapes`` (at most
    10,000 train / 2,000 test), or ``classes=100``, ``shapes100`` (at most 50,000 / 10,000).

    Images are generated in seeded chunks, so a smaller set holds the first images of the full one.
    """
    if classes not in (10, 100):
        raise ValueError(f"the offline set has 10 classes (shapes) or 100 (shapes100), got {classes}")
    limits = SHAPES_SIZES if classes == 10 else SHAPES100_SIZES
    sizes = [
        limits[i] if size is None else min(size, limits[i]) for i, size in enumerate((train_size, test_size))
    ]
    kw = {"seed": seed, "classes": classes}
    train = Split(*_shapes.generate(sizes[0], resolution, split="train", **kw))
    test = Split(*_shapes.generate(sizes[1], resolution, split="test", **kw))
    if classes == 10:
        return make_dataset("shapes", train, test, _shapes.CLASSES)
    return make_dataset("shapes100", train, test, _shapes.MANY_CLASSES)


def for_lesson(
    name: str = "cifar10",
    *,
    budget: str | _budget.Budget | None = None,
    data_dir: str | Path | None = None,
    download: bool = True,
    classes: int | None = None,
) -> Dataset:
    """The dataset a lesson asks for, cut to the budget's ``train_size`` / ``test_size``; with
    ``classes``, only its first ``classes`` classes, before the cut (so the budget's images all come
    from those classes).

    If it is neither on disk nor downloadable (or its files are damaged), returns the offline set
    that stands in for it, with ``notice`` set, and shows that notice (an HTML box in a notebook, a
    warning on stderr in a terminal): ``shapes`` (10 classes, 32x32) for CIFAR-10, ``shapes100``
    (100 classes) at 32x32 for CIFAR-100 and at 64x64 for Tiny-ImageNet.
    """
    b = _budget.get(budget)
    key = _canonical(name)
    # A class subset is taken from the whole set, so the offline set is generated whole first.
    sizes = (b.train_size, b.test_size) if classes is None else (None, None)
    if key == "imagefolder":
        raise ValueError(
            "for_lesson cannot guess where your images are; use data.load('imagefolder', root=...)"
        )
    if key in ("shapes", "shapes100"):
        ds = shapes_dataset(32, *sizes, classes=100 if key == "shapes100" else 10)
    else:
        try:
            ds = load(key, data_dir=data_dir, download=download)
        except (DatasetUnavailable, CorruptDataError) as e:
            res = 64 if key == "tinyimagenet" else 32
            count = 10 if key == "cifar10" else 100
            what = "drawn shapes and textures" if count == 10 else "textures inside outlines"
            notice = (
                f"{_TITLES[key]} is not available, so this lesson uses the offline "
                f"'{'shapes' if count == 10 else 'shapes100'}' dataset instead ({count} classes of "
                f"{what}, {res}x{res}); results will differ from those quoted for {_TITLES[key]}.\n{e}"
            )
            ds = replace(shapes_dataset(res, *sizes, classes=count), notice=notice)
            show_notice(notice)
    if classes is not None:
        ds = ds.first_classes(classes)
    return ds.subset(b.train_size, b.test_size, seed=0)


def _in_notebook() -> bool:
    ipython = sys.modules.get("IPython")  # never import IPython just to ask
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def show_notice(text: str) -> None:
    """Show a fallback notice where the learner will see it: an HTML box in Jupyter, else stderr."""
    if _in_notebook():
        from IPython.display import HTML, display

        body = html.escape(text).replace("\n", "<br>")
        display(
            HTML(
                '<div style="border:2px solid #d97706;background:#fff7ed;color:#431407;'
                'padding:8px 12px;border-radius:6px;margin:4px 0">'
                f"<b>Using the offline dataset</b><br>{body}</div>"
            )
        )
    else:
        print(f"WARNING: {text}", file=sys.stderr, flush=True)
