"""Run folders: where ``fit`` writes ``last.pt``, ``best.pt`` and ``history.json``, one run at a time.

- A folder that holds a run is never written over by accident: a new run into it is refused unless it
  resumes that run (``resume=``) or replaces it (``overwrite=True``, which deletes the old files first,
  so no ``best.pt`` of another network is left beside the new ``last.pt``).
- While a run trains, it holds an exclusive lock on the folder (``.lock``, an OS file lock that dies
  with the process), so a second run into the same folder at the same time is refused.
- Temporary files a killed writer left behind are removed when the next run claims the folder.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from ..files import remove_stale_temporaries
from .checkpoint import HISTORY, RUN_FILES

LOCK = ".lock"


def _continues(folder: Path, resume: str | os.PathLike | None) -> bool:
    """Whether ``resume`` points at the run that ``folder`` holds (its last.pt, best.pt or the folder)."""
    if resume is None:
        return False
    target = Path(resume)
    target = target if target.is_dir() else target.parent
    return target.resolve() == folder.resolve()


def _what_is_there(folder: Path) -> str:
    from .history import History

    try:
        history = History.from_json(folder / HISTORY)
    except (ValueError, OSError):
        return "a run"
    return f"a run of {history.model} ({len(history)} epoch(s))"


def check(
    out_dir: str | os.PathLike, *, resume: str | os.PathLike | None = None, overwrite: bool = False
) -> Path:
    """What can be checked before any data is loaded; returns the folder. Creates nothing.

    Raises a ValueError that says what to do when ``out_dir`` is a file, lies under a file, cannot be
    written, or holds another run (unless resuming it or ``overwrite``).
    """
    folder = Path(out_dir).expanduser()
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"out_dir {folder} is a file, not a folder; choose a folder name for the run")
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    if not existing.is_dir():
        raise ValueError(f"out_dir {folder} lies under {existing}, which is a file; choose another folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(
            f"cannot write into {existing} (permission denied), so out_dir {folder} cannot be used; "
            f"choose a folder you can write to"
        )
    held = [name for name in RUN_FILES if (folder / name).exists()]
    if held and not overwrite and not _continues(folder, resume):
        raise ValueError(
            f"out_dir {folder} already holds {_what_is_there(folder)}; continue it with "
            f"--resume {folder / 'last.pt'} (resume=), replace it with --overwrite (overwrite=True), "
            f"or choose another out_dir"
        )
    return folder


@contextlib.contextmanager
def claim(
    out_dir: str | os.PathLike, *, resume: str | os.PathLike | None = None, overwrite: bool = False
) -> Iterator[Path]:
    """Check, create and lock the run folder for the duration of the ``with`` block."""
    folder = check(out_dir, resume=resume, overwrite=overwrite)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ValueError(
            f"cannot create out_dir {folder}: {e.strerror or e}; choose another folder"
        ) from None
    with _locked(folder):
        remove_stale_temporaries(folder, RUN_FILES)
        check(folder, resume=resume, overwrite=overwrite)  # again, now that no one else can write here
        if overwrite and not _continues(folder, resume):
            for name in RUN_FILES:
                (folder / name).unlink(missing_ok=True)
        yield folder


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    path = folder / LOCK
    busy = ValueError(
        f"another run is training into {folder} right now (it holds {path}); wait for it to finish or "
        f"choose another out_dir"
    )
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            _lock(fd)
        except OSError:
            raise busy from None
        # The holder before us may have deleted the lock file between our open and our lock: then
        # we hold a lock on a file no one else can see, and must treat the folder as busy.
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if not same:
            raise busy
        try:
            yield
        finally:
            path.unlink(missing_ok=True)
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _lock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        return
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
