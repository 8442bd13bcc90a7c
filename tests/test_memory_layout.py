"""Activation memory's modules: ``memory`` re-exports every public name, and the imports run one way."""

from __future__ import annotations

import subprocess
import sys

import pytest

from smallnets_edu import (
    activation_memory,
    activation_quantization,
    cost_mobilenet_v2,
    memory,
    streamed_inference,
)
from smallnets_edu.drawing import inverted_residual

MODULES = (
    activation_memory,
    streamed_inference,
    cost_mobilenet_v2,
    inverted_residual,
    activation_quantization,
)

# Every public name `memory` has always defined (lesson 05, its exercises and the tests use them).
PUBLIC = (
    "BLOCKS",
    "DIAGRAM_SIZE",
    "Row",
    "SlicedRun",
    "TABLE3_ARXIV_V4",
    "TABLE3_MAX",
    "Tensor",
    "V2Cost",
    "block_diagram",
    "fake_quantize",
    "kb",
    "largest",
    "mobilenet_v2_cost",
    "mobilenet_v2_rows",
    "peak",
    "quantization_step",
    "relu6_inputs",
    "sliced_forward",
    "starts_per_channel",
    "tensors",
)


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_memory_re_exports_every_public_name(module):
    for name in module.__all__:
        assert getattr(memory, name, None) is getattr(module, name), f"memory.{name}"
    for name, obj in vars(module).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        assert getattr(memory, name, None) is obj, f"memory.{name} is not {module.__name__}.{name}"


def test_memory_keeps_its_public_names_and_star_exports():
    assert [name for name in PUBLIC if not hasattr(memory, name)] == []
    assert all(hasattr(memory, name) for name in memory.__all__)
    assert memory.DIAGRAM_SIZE == (10.0, 3.8) and memory.TABLE3_MAX["arXiv v4"]["MobileNetV2"] == 400


def test_the_modules_do_not_import_the_modules_that_gather_them():
    code = (
        "import sys\n"
        "import smallnets_edu.activation_memory, smallnets_edu.streamed_inference\n"
        "import smallnets_edu.cost_mobilenet_v2, smallnets_edu.activation_quantization\n"
        "import smallnets_edu.drawing.inverted_residual\n"
        "print([m for m in ('memory', 'diagrams', 'compression') if 'smallnets_edu.' + m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
