"""The drawing package: ``diagrams`` re-exports every public name, and the imports run one way."""

from __future__ import annotations

import subprocess
import sys

import pytest

from smallnets_edu import diagrams
from smallnets_edu.drawing import common, connectivity, cost_explorer, wiring

MODULES = (common, wiring, connectivity, cost_explorer)

# Every public name `diagrams` has always had (lessons 01, 04 and 06, their exercises and the benchmarks).
PUBLIC = (
    "CHANNEL_OPTIONS",
    "CHART_SIZE",
    "CONNECTIVITY_SIZE",
    "FOOTPRINT_SIZE",
    "GROUP_COLOURS",
    "GROUP_OPTIONS",
    "INK",
    "KERNEL_OPTIONS",
    "KINDS",
    "Layer",
    "MAX_CHANNELS",
    "NEUTRAL",
    "SHUFFLE_COLOUR",
    "SIZE_OPTIONS",
    "TOGETHER_COLOUR",
    "VARIANT_LABELS",
    "VARIANT_NAMES",
    "VariantCost",
    "connectivity",
    "conv",
    "cost_chart",
    "cost_explorer",
    "cost_readout",
    "depthwise",
    "explorer_controls",
    "kernel_footprint",
    "links",
    "origins",
    "reach",
    "receptive_field",
    "shuffle",
    "stack",
    "variant_costs",
    "variant_layers",
)


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_diagrams_re_exports_every_public_name(module):
    for name in module.__all__:
        assert getattr(diagrams, name, None) is getattr(module, name), f"diagrams.{name}"
    for name, obj in vars(module).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        assert getattr(diagrams, name, None) is obj, f"diagrams.{name} is not {module.__name__}.{name}"


def test_diagrams_keeps_its_public_names_and_star_exports():
    assert [name for name in PUBLIC if not hasattr(diagrams, name)] == []
    assert all(hasattr(diagrams, name) for name in diagrams.__all__)
    assert diagrams.MAX_CHANNELS == 32 and diagrams.CONNECTIVITY_SIZE == (9.0, 3.6)
    assert diagrams.shuffle is wiring.shuffle  # the step, not stack()'s ``shuffle`` flag


def test_the_base_modules_do_not_import_the_figures_built_on_them():
    code = (
        "import sys\n"
        "import smallnets_edu.drawing.common, smallnets_edu.drawing.wiring\n"
        "upper = ('drawing.connectivity', 'drawing.cost_explorer', 'diagrams')\n"
        "print([m for m in upper if 'smallnets_edu.' + m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
