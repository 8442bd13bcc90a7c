"""The contestants and what they cost: every network built for the showdown, its parameters,
multiply-accumulates and peak activation memory, the papers' headline figures next to ours, and the
arithmetic intensity of one convolution. Deterministic and quick (shapes only), never cached.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from .. import cost, models

NUM_CLASSES = 10
CIFAR_RESOLUTION = 32
IMAGENET_RESOLUTION = 224
BYTES_PER_VALUE = 4  # fp32


def _names(names: Iterable[str] | None, variant: str) -> list[str]:
    chosen = list(models.names() if names is None else names)
    for name in chosen:
        models.info(name)  # a clear error for an unknown name
    return [n for n in chosen if variant in models.info(n).variants]


def build(name: str, variant: str = "cifar", meta: bool = False, **options: Any) -> nn.Module:
    """The network the showdown measures: 10 classes for ``cifar``/``tiny``, 1000 for ``imagenet``."""
    num_classes = 1000 if variant == "imagenet" else NUM_CLASSES
    if meta:
        with torch.device("meta"):
            return models.build(name, num_classes=num_classes, variant=variant, **options)
    return models.build(name, num_classes=num_classes, variant=variant, **options)


def default_resolution(variant: str) -> int:
    return {"cifar": CIFAR_RESOLUTION, "tiny": 64, "imagenet": IMAGENET_RESOLUTION}[variant]


def costs(
    names: Iterable[str] | None = None, variant: str = "cifar", resolution: int | None = None, **options: Any
) -> dict[str, cost.Profile]:
    """``cost.profile`` of every network (shapes only: built on the meta device, so instant)."""
    resolution = resolution or default_resolution(variant)
    return {
        name: cost.profile(build(name, variant, meta=True, **options), resolution, name=name)
        for name in _names(names, variant)
    }


# The paper's headline network of each family with an ImageNet version: (label, name, resolution, options).
HEADLINE = (
    ("SqueezeNet 1.0", "squeezenet1_0", 227, {}),
    ("SqueezeNet 1.1", "squeezenet1_1", 224, {}),
    ("1.0 MobileNet-224", "mobilenet_v1", 224, {}),
    ("ShuffleNet 1x (g = 3)", "shufflenet_v1", 224, {"groups": 3}),
    ("MobileNetV2 1.0", "mobilenet_v2", 224, {}),
    ("FD-MobileNet 1x", "fd_mobilenet", 224, {}),
)


def published(name: str, width_mult: float = 1.0, resolution: int = 224, **options: Any) -> dict[str, Any]:
    """Everything the papers (and the references the course trusts) publish about one configuration.

    Merges the entries of :func:`paper_figures.figures` for exactly this configuration: for parameters,
    MACs and top-1 each, the first entry that gives it, with its source. Missing figures are None.
    """
    from .. import paper_figures

    out: dict[str, Any] = {"params": None, "macs": None, "top1": None, "sources": {}}
    for entry in paper_figures.figures(name):
        opts = entry.get("options", {})
        if (
            abs(entry["width_mult"] - width_mult) > 1e-9
            or entry["resolution"] != resolution
            or any(options.get(k, v) != v for k, v in opts.items())
            or any(opts.get(k) != v for k, v in options.items())
        ):
            continue
        for key in ("params", "macs", "top1"):
            if out[key] is None and entry.get(key) is not None:
                out[key] = entry[key]
                out["sources"][key] = entry["source"]
    return out


def paper_rows() -> list[dict[str, Any]]:
    """Each family's headline ImageNet network: the published figures next to ours.

    Our parameters leave BatchNorm out (``cost.count_params(include_bn=False)``), as the papers count.
    """
    rows = []
    for label, name, resolution, options in HEADLINE:
        net = build(name, "imagenet", meta=True, **options)
        rows.append(
            {
                "label": label,
                "name": name,
                "resolution": resolution,
                "published": published(name, 1.0, resolution, **options),
                "params": cost.count_params(net, include_bn=False),
                "macs": cost.profile(net, resolution).macs,
            }
        )
    return rows


def conv_intensity(
    in_channels: int,
    out_channels: int,
    kernel: int,
    size: int,
    groups: int = 1,
    stride: int = 1,
    batch: int = 1,
    bytes_per_value: int = BYTES_PER_VALUE,
) -> float:
    """Arithmetic intensity of one convolution: its MACs per byte of weights, input and output.

    ``size`` is the output map's side; the input is ``size * stride`` on a side. Weights are read once
    per batch, the input and output once per image.
    """
    macs = cost.conv_macs(in_channels, out_channels, kernel, size, groups=groups) * batch
    weights = cost.conv_params(in_channels, out_channels, kernel, groups=groups)
    values = weights + batch * (in_channels * (size * stride) ** 2 + out_channels * size**2)
    return macs / (values * bytes_per_value)
