"""Checks shared by the model tests: counting on the meta device, final map sizes, the smallest input."""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
import torch
from torch import nn

from smallnets_edu import cost, models


@functools.cache  # built once per configuration; counting does not change a model
def meta_model(name: str, **kw) -> nn.Module:
    """``models.build(name, **kw)`` on the meta device: shapes without storage, enough for counting."""
    with torch.device("meta"):
        return models.build(name, **kw)


@functools.cache
def meta_macs(net: nn.Module, res: int) -> int:
    """``cost.flop_counter_macs(net, res)`` on the meta device."""
    with torch.device("meta"):
        return cost.flop_counter_macs(net, res)


def check_profile_and_final_map(net: nn.Module, resolution: int, final: int) -> None:
    """``cost.profile`` counts the MACs ``FlopCounterMode`` counts, and ``net.features`` turns a
    ``resolution`` x ``resolution`` image into ``final`` x ``final`` maps."""
    assert cost.profile(net, resolution).macs == cost.flop_counter_macs(net, resolution)
    with torch.no_grad():
        assert net.features(torch.zeros(1, 3, resolution, resolution)).shape[-2:] == (final, final)


def check_min_resolution(net: nn.Module, *, batch: int, num_classes: int) -> None:
    """``net`` (in eval mode) classifies inputs of side ``net.min_resolution``, and refuses one pixel less
    in both sides with a ValueError that names the smallest side and the one it got."""
    side = net.min_resolution
    with torch.no_grad():
        assert net(torch.zeros(batch, 3, side, side)).shape == (batch, num_classes)
        with pytest.raises(ValueError, match=f"at least {side}x{side} pixels, got {side - 1}x{side - 1}"):
            net(torch.zeros(batch, 3, side - 1, side - 1))


def load_script(path: Path, name: str) -> ModuleType:
    """A script that is not part of the package (a benchmark), imported as module ``name``."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
