"""Deep Compression's modules: ``compression`` re-exports every public name, and their imports run one way."""

from __future__ import annotations

import subprocess
import sys

import pytest

from smallnets_edu import compression, cost_squeezenet
from smallnets_edu.drawing import fire
from smallnets_edu.studies import bitstreams, codec, pruning, quantization

MODULES = (pruning, quantization, bitstreams, codec, cost_squeezenet, fire)

# Every public name `compression` has always had (lesson 02, its exercises and the tests use them).
PUBLIC = (
    "CODEBOOK_DENSE",
    "CODEBOOK_SPARSE",
    "ChunkSize",
    "FIRE_DIAGRAM_SIZE",
    "HUFFMAN_FLAG",
    "MAGIC",
    "MAX_HUFFMAN_LENGTH",
    "MAX_INDEX_BITS",
    "MB",
    "RAW_DENSE",
    "RAW_SPARSE",
    "SqueezeNetCost",
    "compress",
    "decode",
    "dense_size",
    "density",
    "draw_fire",
    "encode",
    "huffman_lengths",
    "kept_count",
    "kmeans_1d",
    "linear_codebook",
    "megabytes",
    "overall_density",
    "positions_from_relative",
    "prune_by_magnitude",
    "quantize_weights",
    "relative_indices",
    "size_breakdown",
    "squeezenet_cost",
    "stored_size",
    "weight_names",
    "zeros_kept",
)


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_compression_re_exports_every_public_name(module):
    for name in module.__all__:
        assert getattr(compression, name, None) is getattr(module, name), f"compression.{name}"
    for name, obj in vars(module).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        assert getattr(compression, name, None) is obj, f"compression.{name} is not {module.__name__}.{name}"


def test_compression_keeps_its_public_names_and_star_exports():
    assert [name for name in PUBLIC if not hasattr(compression, name)] == []
    assert all(hasattr(compression, name) for name in compression.__all__)
    assert compression.MB == 2**20 and compression.MAGIC == b"SQZ1"
    assert compression.FIRE_DIAGRAM_SIZE == (9.0, 3.6)
    assert compression.squeezenet_cost is cost_squeezenet.squeezenet_cost  # one cache, wherever it is read


def test_the_base_modules_do_not_import_the_steps_built_on_them():
    code = (
        "import sys\n"
        "import smallnets_edu.studies.pruning, smallnets_edu.studies.bitstreams\n"
        "import smallnets_edu.cost_squeezenet, smallnets_edu.drawing.fire\n"
        "upper = ('studies.quantization', 'studies.codec', 'compression')\n"
        "print([m for m in upper if 'smallnets_edu.' + m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
