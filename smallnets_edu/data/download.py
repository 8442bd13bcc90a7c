"""Fetching and unpacking the official archives, safely.

- ``ARCHIVES`` is the table of official files (URL, md5 of the archive, md5 of the files inside where
  the host publishes them). It is a plain module-level dict so tests can swap an entry for a small
  archive they build themselves.
- ``download`` streams into a temporary file next to the destination, with a progress bar, checks
  the md5 and only then renames it into place: a partial download never looks complete.
- ``extract`` unpacks into a temporary directory beside the target and renames the top folder into
  place at the end, so a failed or corrupt extraction leaves nothing half-written. Tar members go
  through ``filter="data"``; zip members are checked for paths that would land outside the target.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from .core import CorruptDataError, DatasetUnavailable


@dataclass(frozen=True)
class Archive:
    """One official archive: where to get it and what it must contain."""

    title: str  # human name used in messages
    filename: str  # name of the archive in the data directory
    url: str
    md5: str
    folder: str  # top-level folder the archive unpacks to
    files: dict[str, str] = field(default_factory=dict)  # path inside `folder` -> md5 (where published)


# Official files and checksums (as published by the hosts and used by torchvision).
ARCHIVES: dict[str, Archive] = {
    "cifar10": Archive(
        "CIFAR-10",
        "cifar-10-python.tar.gz",
        "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
        "c58f30108f718f92721af3b95e74349a",
        "cifar-10-batches-py",
        {
            "data_batch_1": "c99cafc152244af753f735de768cd75f",
            "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
            "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
            "data_batch_4": "634d18415352ddfa80567beed471001a",
            "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
            "test_batch": "40351d587109b95175f43aff81a1287e",
            "batches.meta": "5ff9c542aee3614f3951f8cda6e48888",
        },
    ),
    "cifar100": Archive(
        "CIFAR-100",
        "cifar-100-python.tar.gz",
        "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
        "eb9058c3a382ffc7106e4002c42a8d85",
        "cifar-100-python",
        {
            "train": "16019d7e3df5f24257cddd939b257f8d",
            "test": "f0ef6b0ae62326f3e7ffdfab6717acfc",
            "meta": "7973b15100ade9c7d40fb424638fde48",
        },
    ),
    "tinyimagenet": Archive(
        "Tiny-ImageNet-200",
        "tiny-imagenet-200.zip",
        "http://cs231n.stanford.edu/tiny-imagenet-200.zip",
        "90528d7ca1a48142e341f4ef8d21d0de",
        "tiny-imagenet-200",
    ),
}

_CHUNK = 1 << 20
# What a damaged archive raises while being read (truncated gzip: EOFError; bad deflate: zlib.error).
_CORRUPT = (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error, gzip.BadGzipFile)


def md5sum(path: str | Path) -> str:
    """The md5 of a file, read in 1 MiB chunks."""
    h = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def how_to_fetch(archive: Archive, dest: Path) -> str:
    """The sentence every message ends with: which file, its md5, and where to put it."""
    return (
        f"Download {archive.url} (md5 {archive.md5}) and put it at {dest} "
        f"(or set $SMALLNETS_DATA to a folder that holds it), then run this again."
    )


def download(archive: Archive, dest: Path, *, progress: bool = True, timeout: float = 30.0) -> Path:
    """Fetch ``archive.url`` to ``dest``: temporary file, md5 check, atomic rename."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        h = hashlib.md5(usedforsecurity=False)
        try:
            response = urllib.request.urlopen(archive.url, timeout=timeout)
        except (urllib.error.URLError, OSError, ValueError) as e:
            reason = getattr(e, "reason", e)
            raise DatasetUnavailable(
                f"{archive.title}: could not download {archive.url} ({reason}). "
                + how_to_fetch(archive, dest)
            ) from e
        with response, os.fdopen(fd, "wb") as out:
            fd = -1  # now owned by `out`
            total = int(response.headers.get("Content-Length") or 0) or None
            bar = _progress_bar(total, dest.name, progress)
            try:
                for block in iter(lambda: response.read(_CHUNK), b""):
                    out.write(block)
                    h.update(block)
                    bar.update(len(block))
            except OSError as e:  # connection dropped mid-way
                raise DatasetUnavailable(
                    f"{archive.title}: the download of {archive.url} broke off ({e}). "
                    + how_to_fetch(archive, dest)
                ) from e
            finally:
                bar.close()
        got = h.hexdigest()
        if got != archive.md5:
            raise CorruptDataError(
                f"{archive.title}: the file downloaded from {archive.url} has md5 {got}, expected "
                f"{archive.md5} (truncated or altered on the way); it was discarded. "
                f"Run this again to retry. " + how_to_fetch(archive, dest)
            )
        os.replace(tmp, dest)
        return dest
    finally:
        if fd >= 0:
            os.close(fd)
        tmp.unlink(missing_ok=True)


def _progress_bar(total: int | None, name: str, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=name, disable=not enabled)


def check_archive(archive: Archive, path: Path) -> None:
    """Raise (and remove the file) if ``path`` does not have the official md5."""
    got = md5sum(path)
    if got != archive.md5:
        path.unlink(missing_ok=True)
        raise CorruptDataError(
            f"{archive.title}: {path} has md5 {got}, expected {archive.md5} (a truncated or corrupt "
            f"download?). The bad file was removed; run this again to download it afresh. "
            + how_to_fetch(archive, path)
        )


def check_files(archive: Archive, folder: Path) -> None:
    """Raise if any extracted file with a published md5 is missing or differs."""
    for rel, expected in archive.files.items():
        path = folder / rel
        if not path.is_file():
            raise CorruptDataError(
                f"{archive.title}: {path} is missing. Delete the folder {folder} so it is unpacked again "
                f"from {archive.filename}, or pass verify=False if you prepared this copy yourself."
            )
        got = md5sum(path)
        if got != expected:
            raise CorruptDataError(
                f"{archive.title}: {path} has md5 {got}, expected {expected}. Delete the folder {folder} "
                f"so it is unpacked again from {archive.filename}, or pass verify=False if you prepared "
                f"this copy yourself."
            )


def extract(archive: Archive, path: Path, dest_dir: Path, *, replace: bool = False) -> Path:
    """Unpack ``path`` so that ``dest_dir / archive.folder`` appears complete or not at all.

    An existing folder is kept unless ``replace`` (used to repair a folder that failed its checks).

    A damaged archive or an unsafe member raises ``CorruptDataError`` and the archive file is removed
    (so the next run downloads a fresh copy); the temporary directory is always cleaned up.
    """
    target = dest_dir / archive.folder
    work = Path(tempfile.mkdtemp(dir=dest_dir, prefix=f".{archive.folder}.", suffix=".extracting"))
    try:
        try:
            if zipfile.is_zipfile(path):
                _extract_zip(path, work)
            else:
                with tarfile.open(path) as tf:
                    _extract_tar(tf, work)
        except (*_CORRUPT, _UnsafeMember) as e:
            path.unlink(missing_ok=True)
            if isinstance(e, _UnsafeMember):
                what = f"refusing to unpack {path}: {e}. This is not the official archive; it was removed."
            else:
                what = (
                    f"could not unpack {path}: {e}. The archive was removed; run this again to download "
                    "it afresh."
                )
            raise CorruptDataError(f"{archive.title}: {what} " + how_to_fetch(archive, path)) from e
        unpacked = work / archive.folder
        if not unpacked.is_dir():
            path.unlink(missing_ok=True)
            raise CorruptDataError(
                f"{archive.title}: {path} does not contain the folder {archive.folder}/; it is not the "
                f"official archive and was removed. " + how_to_fetch(archive, path)
            )
        if replace and target.exists():  # an earlier copy that failed its checks: replace it whole
            shutil.rmtree(target)
        try:
            os.replace(unpacked, target)
        except OSError:
            # Another process (a second DDP rank, say) unpacked the same archive first: keep its
            # complete copy rather than pull it from under a reader.
            if not target.is_dir():
                raise
        return target
    finally:
        shutil.rmtree(work, ignore_errors=True)


class _UnsafeMember(Exception):
    pass


def _extract_tar(tf: tarfile.TarFile, work: Path) -> None:
    if hasattr(tarfile, "data_filter"):  # Python 3.11.4+, 3.10.12+
        try:
            tf.extractall(work, filter="data")
        except tarfile.FilterError as e:
            raise _UnsafeMember(str(e)) from e
        return
    # Older Pythons: the same rules by hand (regular files and folders only, all inside `work`).
    root = work.resolve()
    for member in tf.getmembers():
        dest = (work / member.name).resolve()
        if not (member.isfile() or member.isdir()) or not dest.is_relative_to(root):
            raise _UnsafeMember(f"member {member.name!r} is a link or points outside the target folder")
    tf.extractall(work)


def _extract_zip(path: Path, work: Path) -> None:
    root = work.resolve()
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            name = info.filename
            dest = (work / name).resolve()
            if os.path.isabs(name) or name.startswith(("/", "\\")) or ".." in Path(name).parts:
                raise _UnsafeMember(f"member {name!r} points outside the target folder")
            if not dest.is_relative_to(root):
                raise _UnsafeMember(f"member {name!r} points outside the target folder")
        zf.extractall(work)  # checks each member's CRC as it goes (BadZipFile on damage)
