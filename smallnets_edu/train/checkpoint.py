"""Checkpoints: what ``fit`` writes to ``out_dir`` and reads back to resume.

A checkpoint is a dict of tensors and plain containers only, so loading uses
``torch.load(..., weights_only=True)``: opening a file never runs code from it. Files are written to a
temporary name in the same folder and renamed over the old one (``os.replace`` is atomic), so a crash
or Ctrl-C mid-write leaves the previous checkpoint intact.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import torch
from torch import nn

FORMAT = 1  # bump when the layout changes, so old files give a clear error instead of a KeyError
LAST = "last.pt"
BEST = "best.pt"
HISTORY = "history.json"


def model_meta(model: nn.Module, num_classes: int | None = None) -> dict[str, Any]:
    """The architecture of ``model`` as plain data: name, variant, num_classes, width_mult.

    ``models.build`` sets ``name`` and ``variant`` on the models it makes; ``width_mult`` and
    ``num_classes`` are read when the model carries them (the CLI sets both), else ``num_classes``
    comes from the caller (the dataset's class count) and ``width_mult`` stays unknown (None).
    """
    width = getattr(model, "width_mult", None)
    classes = getattr(model, "num_classes", None) or num_classes
    return {
        "name": str(getattr(model, "name", type(model).__name__)),
        "variant": getattr(model, "variant", None),
        "num_classes": int(classes) if classes is not None else None,
        "width_mult": float(width) if width is not None else None,
    }


def describe(meta: dict[str, Any]) -> str:
    """``mobilenet_v2 (cifar, width 0.5, 10 classes)``: how error messages name an architecture."""
    details = [
        str(meta["variant"]) if meta.get("variant") else None,
        f"width {meta['width_mult']:g}" if meta.get("width_mult") is not None else None,
        f"{meta['num_classes']} classes" if meta.get("num_classes") is not None else None,
    ]
    details = [d for d in details if d]
    return f"{meta.get('name', '?')}" + (f" ({', '.join(details)})" if details else "")


def save(payload: dict[str, Any], path: str | os.PathLike) -> Path:
    """Write ``payload`` to ``path`` atomically (temporary file in the same folder, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        # Also on KeyboardInterrupt: never leave a half-written temporary file behind.
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a checkpoint written by ``fit`` (tensors and plain data only: ``weights_only=True``)."""
    path = Path(path)
    if path.is_dir():
        path = path / LAST
    if not path.is_file():
        raise ValueError(f"no checkpoint at {path}; pass the last.pt or best.pt that fit wrote to out_dir")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # pickle errors, truncated files, non-checkpoint files
        raise ValueError(f"{path} is not a readable checkpoint: {e}") from None
    if not isinstance(payload, dict) or "model" not in payload or "state_dict" not in payload:
        raise ValueError(f"{path} is not a smallnets_edu checkpoint (no model description or weights)")
    if payload.get("format") != FORMAT:
        raise ValueError(
            f"{path} has checkpoint format {payload.get('format')!r}; this version reads format {FORMAT}"
        )
    return payload


def check_architecture(payload: dict[str, Any], model: nn.Module, num_classes: int | None = None) -> None:
    """Raise a ValueError naming both architectures when ``payload`` was not saved from this kind of model.

    Compares the recorded name, variant, class count and width (where both sides know them), then the
    parameter names and shapes, which also catches models with the same name but other options.
    """
    saved, here = payload["model"], model_meta(model, num_classes)
    clash = [
        key
        for key in ("name", "variant", "num_classes", "width_mult")
        if saved.get(key) is not None and here.get(key) is not None and saved[key] != here[key]
    ]
    state = model.state_dict()
    theirs = payload["state_dict"]
    missing = sorted(set(state) - set(theirs))
    extra = sorted(set(theirs) - set(state))
    shapes = [k for k in state if k in theirs and tuple(state[k].shape) != tuple(theirs[k].shape)]
    if clash or missing or extra or shapes:
        detail = (
            f"{', '.join(clash)} differ"
            if clash
            else (
                f"{len(missing)} missing and {len(extra)} unexpected weight(s), "
                f"{len(shapes)} of another shape (first: {(missing + extra + shapes)[0]})"
            )
        )
        raise ValueError(
            f"the checkpoint holds a {describe(saved)} but the model is a {describe(here)} ({detail}); "
            f"build the same architecture as the checkpoint, or start without resume"
        )


def load_model(path: str | os.PathLike, device: str | torch.device = "cpu") -> nn.Module:
    """Rebuild the model a checkpoint was saved from and load its weights (in eval mode)."""
    from .. import models

    payload = load(path)
    meta = payload["model"]
    if meta.get("name") not in models.names():
        raise ValueError(
            f"the checkpoint holds a {describe(meta)}, which is not a model of the course; "
            f"build it yourself and use model.load_state_dict(load(path)['state_dict'])"
        )
    model = models.build(
        meta["name"],
        num_classes=meta["num_classes"] or 1000,
        width_mult=meta["width_mult"] or 1.0,
        variant=meta["variant"] or "imagenet",
    )
    model.width_mult = meta["width_mult"] or 1.0
    model.num_classes = meta["num_classes"]
    check_architecture(payload, model)
    model.load_state_dict(payload["state_dict"])
    return model.to(device).eval()
