"""Checkpoints: what ``fit`` writes to ``out_dir`` and reads back to resume or to rebuild a model.

A checkpoint is a dict of tensors and plain containers only, so loading uses
``torch.load(..., weights_only=True)``: opening a file never runs code from it. It records the
network's complete build spec (family, variant, width, classes and every family option), so
:func:`load_model` rebuilds exactly the network that was trained, from the file alone. Files are
written atomically (:func:`smallnets_edu.files.atomic_write`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..files import atomic_write

FORMAT = 2  # 2: the model entry holds the complete build spec, options included
READABLE_FORMATS = (1, 2)  # 1: name, variant, width and classes only (options were not recorded)
LAST = "last.pt"
BEST = "best.pt"
HISTORY = "history.json"
RUN_FILES = (LAST, BEST, HISTORY)
RESUME_KEYS = ("optimizer", "scheduler", "epoch", "history", "config")


def model_meta(model: nn.Module, num_classes: int | None = None) -> dict[str, Any]:
    """The architecture of ``model`` as plain data.

    A network built by ``models.build`` carries its build spec (``model.spec``), which is stored whole.
    Any other module is described by its ``name`` attribute (or class name) and the caller's class
    count; the rest stays unknown (None) and resuming relies on the weights' names and shapes.
    """
    spec = getattr(model, "spec", None)
    if spec is not None:
        return spec.to_dict()
    return {
        "name": str(getattr(model, "name", type(model).__name__)),
        "variant": None,
        "num_classes": int(num_classes) if num_classes is not None else None,
        "width_mult": None,
        "options": None,
    }


def describe(meta: dict[str, Any]) -> str:
    """``shufflenet_v1 (cifar, width 0.5, 10 classes, groups=8)``: how messages name an architecture."""
    from ..models import BuildSpec

    try:
        return BuildSpec.from_dict(meta).describe()
    except (ValueError, TypeError):
        details = [
            str(meta["variant"]) if meta.get("variant") else None,
            f"width {meta['width_mult']:g}" if meta.get("width_mult") is not None else None,
            f"{meta['num_classes']} classes" if meta.get("num_classes") is not None else None,
        ]
        details = [d for d in details if d]
        return f"{meta.get('name', '?')}" + (f" ({', '.join(details)})" if details else "")


def save(payload: dict[str, Any], path: str | os.PathLike) -> Path:
    """Write ``payload`` to ``path`` atomically; a failed write says why and keeps the old file."""
    try:
        return atomic_write(path, lambda f: torch.save(payload, f))
    except OSError as e:
        raise ValueError(
            f"could not write the checkpoint {path}: {e.strerror or e}; the previous checkpoint there is "
            f"kept. Free some disk space or train into another out_dir, then resume"
        ) from None


def load(path: str | os.PathLike, map_location: str | torch.device = "cpu", *, resume: bool = False) -> dict:
    """Read a checkpoint written by ``fit`` (tensors and plain data only: ``weights_only=True``).

    ``resume=True`` also requires what continuing a run needs (optimizer, schedule, history).
    """
    path = Path(path)
    if path.is_dir():
        path = path / LAST
    if not path.is_file():
        raise ValueError(f"no checkpoint at {path}; pass the last.pt or best.pt that fit wrote to out_dir")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # pickle errors, truncated files, files of other programs
        # torch's own message suggests weights_only=False, which would run code from the file: a file
        # from elsewhere may not be trusted, so that advice is not passed on.
        unsafe = "weights only" in str(e).lower() or "weights_only" in str(e)
        reason = (
            "it holds Python objects besides tensors and plain data, which are never loaded (loading "
            "them could run code)"
            if unsafe
            else "it is truncated or is not a PyTorch file"
        )
        raise ValueError(
            f"{path} is not a readable checkpoint: {reason}; pass a last.pt or best.pt written by fit"
        ) from None
    if not isinstance(payload, dict) or "model" not in payload or "state_dict" not in payload:
        raise ValueError(f"{path} is not a smallnets_edu checkpoint (no model description or weights)")
    if payload.get("format") not in READABLE_FORMATS:
        raise ValueError(
            f"{path} has checkpoint format {payload.get('format')!r}; this version reads formats "
            f"{', '.join(map(str, READABLE_FORMATS))}"
        )
    missing = [key for key in RESUME_KEYS if key not in payload] if resume else []
    if missing:
        raise ValueError(
            f"{path} holds weights but not the state of a run ({', '.join(missing)} missing), so training "
            f"cannot continue from it; load the weights with train.load_model, or start a new run"
        )
    return payload


def check_architecture(payload: dict[str, Any], model: nn.Module, num_classes: int | None = None) -> None:
    """Raise a ValueError naming the differing fields when ``payload`` was not saved from this network.

    Compares the recorded build specs field by field (options one by one) where both sides know them,
    then the parameter names and shapes, which also catches models the course did not build.
    """
    from ..models import BuildSpec

    saved, here = payload["model"], model_meta(model, num_classes)
    clash: list[str] = []
    try:
        clash = BuildSpec.from_dict(here).differences(BuildSpec.from_dict(saved))
        clash = [c.replace(" here,", " in the model,").replace(" there", " in the checkpoint") for c in clash]
    except (ValueError, TypeError):  # one side is not a course network, or an old checkpoint
        for key in ("name", "variant", "num_classes", "width_mult"):
            if saved.get(key) is not None and here.get(key) is not None and saved[key] != here[key]:
                clash.append(f"{key}: {here[key]!r} in the model, {saved[key]!r} in the checkpoint")
    state = model.state_dict()
    theirs = payload["state_dict"]
    missing = sorted(set(state) - set(theirs))
    extra = sorted(set(theirs) - set(state))
    shapes = [k for k in state if k in theirs and tuple(state[k].shape) != tuple(theirs[k].shape)]
    if clash or missing or extra or shapes:
        detail = (
            "; ".join(clash)
            if clash
            else (
                f"{len(missing)} missing and {len(extra)} unexpected weight(s), "
                f"{len(shapes)} of another shape (first: {(missing + extra + shapes)[0]})"
            )
        )
        raise ValueError(
            f"the checkpoint holds a {describe(saved)} but the model is a {describe(here)} ({detail}); "
            f"build the same architecture as the checkpoint (train.load_model(path) does), or start a new run"
        )


def load_model(path: str | os.PathLike, device: str | torch.device = "cpu") -> nn.Module:
    """Rebuild the network a checkpoint was saved from, load its weights, and return it in eval mode."""
    from .. import models
    from .device import resolve_device

    device = resolve_device(device)
    payload = load(path)
    meta = payload["model"]
    if meta.get("name") not in models.names():
        raise ValueError(
            f"the checkpoint holds a {describe(meta)}, which is not a model of the course; "
            f"build it yourself and use model.load_state_dict(load(path)['state_dict'])"
        )
    if meta.get("options") is None:
        raise ValueError(
            f"{path} was written by an older version that did not record {meta['name']}'s options, so the "
            f"network cannot be rebuilt from the file alone; build it with the options it was trained with "
            f"and load train.load_checkpoint(path)['state_dict'] into it"
        )
    model = models.BuildSpec.from_dict(meta).build()
    check_architecture(payload, model)
    model.load_state_dict(payload["state_dict"])
    return model.to(device).eval()
