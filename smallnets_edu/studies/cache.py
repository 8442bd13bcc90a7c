"""The measurement cache: each result stored as JSON, keyed by its settings and the machine it ran on.

A key holds the kind of measurement, its settings, :func:`machine` (CPU, cores, torch threads, torch
version, GPU) and :data:`SCHEMA`; change any of them and the result is measured again.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from ..files import atomic_write_text

CACHE_ENV = "SMALLNETS_CACHE"
DEFAULT_CACHE = Path("~/.cache/smallnets-edu")
SCHEMA = 1  # bump when the stored format or what a measurement means changes


def cache_dir(path: str | os.PathLike | None = None) -> Path:
    """Where measurements are kept: ``path``, else ``$SMALLNETS_CACHE/showdown``, else the default."""
    if path is not None:
        return Path(path).expanduser()
    root = os.environ.get(CACHE_ENV) or DEFAULT_CACHE
    return Path(root).expanduser() / "showdown"


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith(("model name", "hardware")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    """What a measurement depends on besides its own settings: the CPU, torch, and its thread count."""
    return {
        "cpu": _cpu_name(),
        "arch": platform.machine(),
        "system": platform.system(),
        "cores": os.cpu_count(),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }


def cache_key(what: str, settings: dict[str, Any]) -> dict[str, Any]:
    """The full key of one measurement: its kind, its settings, the machine and the schema version."""
    key = {"what": what, "schema": SCHEMA, "machine": machine(), "settings": settings}
    return json.loads(json.dumps(key, sort_keys=True, default=str))


def cache_path(key: dict[str, Any], directory: str | os.PathLike | None = None) -> Path:
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    return cache_dir(directory) / f"{key['what']}-{digest}.json"


def companion_path(
    what: str, settings: dict[str, Any], suffix: str, directory: str | os.PathLike | None = None
) -> Path:
    """Where a file that goes with a cached result is kept (trained weights, say): the result's own
    path with ``suffix`` in place of ``.json``, so it has the same key and goes stale with it."""
    return cache_path(cache_key(what, settings), directory).with_suffix(suffix)


# How many results `cached` found and measured in this session (run() reports its share).
cache_stats = {"hits": 0, "misses": 0}


def cached(
    what: str,
    settings: dict[str, Any],
    compute: Callable[[], Any],
    *,
    refresh: bool = False,
    directory: str | os.PathLike | None = None,
) -> tuple[Any, bool]:
    """``compute()``'s JSON-able result, from the cache when an entry with the same key exists.

    Returns ``(value, from_cache)``. The value always comes back as JSON would give it (so a fresh and a
    cached result look the same: tuples become lists, dict keys strings). A damaged or unreadable entry
    is measured again; a cache folder that cannot be written only costs the next run its speed.
    """
    key = cache_key(what, settings)
    path = cache_path(key, directory)
    if not refresh and path.is_file():
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
            if stored.get("key") == key:
                cache_stats["hits"] += 1
                return stored["value"], True
        except (OSError, ValueError, KeyError, AttributeError):
            pass
    value = json.loads(json.dumps(compute(), allow_nan=True))
    cache_stats["misses"] += 1
    entry = {"key": key, "saved": time.strftime("%Y-%m-%d %H:%M:%S"), "value": value}
    try:
        atomic_write_text(path, json.dumps(entry, indent=1, allow_nan=True) + "\n")
    except OSError as error:
        warnings.warn(f"could not write the showdown cache at {path}: {error}", stacklevel=2)
    return value, False
