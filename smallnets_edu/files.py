"""Writing files so that a reader never sees half of one: :func:`atomic_write`.

Every file the course writes for later (checkpoints, histories, dataset caches, measurement caches)
goes to a temporary name in the same folder, is flushed to disk, and is renamed over the old file
(``os.replace`` is atomic on one file system). A crash, a full disk or Ctrl-C mid-write leaves the
previous file as it was and no temporary file behind; a SIGKILL can leave one, which
:func:`remove_stale_temporaries` cleans up.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

TEMP_SUFFIX = ".tmp"


def atomic_write(path: str | os.PathLike, write: Callable[[IO[bytes]], object]) -> Path:
    """Call ``write(file)`` on a temporary file beside ``path``, fsync it, then rename it to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        # Also on KeyboardInterrupt and a full disk: never leave a half-written temporary file behind.
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """:func:`atomic_write` for text (UTF-8)."""
    return atomic_write(path, lambda f: f.write(text.encode("utf-8")))


def remove_stale_temporaries(folder: str | os.PathLike, names: tuple[str, ...]) -> list[Path]:
    """Delete the temporary files that a killed writer of ``names`` left in ``folder``; returns them.

    Call it only while no other process writes there (for a run folder: while holding its lock).
    """
    removed = []
    for name in names:
        for stale in Path(folder).glob(f".{name}.*{TEMP_SUFFIX}"):
            stale.unlink(missing_ok=True)
            removed.append(stale)
    return removed
