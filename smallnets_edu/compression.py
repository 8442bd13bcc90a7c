"""Deep Compression on our own models: magnitude pruning, weight sharing, and bytes you can count.

SqueezeNet's headline (Iandola et al. 2016, arXiv:1602.07360, Table 2) is that its 4.8MB of 32-bit
weights compress to 0.66MB with 33% of the weights kept and 8-bit weights, and to 0.47MB with 6-bit
weights, at the same accuracy. The method is Deep Compression (Han, Mao, Dally 2016, arXiv:1510.00149):
prune the small weights, retrain; share weights through a per-layer k-means codebook, retrain the
centroids; store the sparse matrix as relative indices, and Huffman-code both streams.

This module gathers the three storage steps, reproduced on any model of the course without the
retraining; the code lives in one module per step:

- :mod:`smallnets_edu.studies.pruning`: :func:`prune_by_magnitude` keeps the largest ``density``
  fraction of the weights of *every* weight tensor (the same fraction per layer); :func:`zeros_kept`
  keeps pruned weights at zero while a pruned model is retrained (fine-tuned).
- :mod:`smallnets_edu.studies.quantization`: :func:`quantize_weights` replaces each tensor's weights by
  the nearest of ``2**bits`` shared values (1D k-means with linear initialisation, or a uniform grid);
  pruned zeros stay exact zeros. :func:`compress` prunes then quantizes.
- :mod:`smallnets_edu.studies.codec`: :func:`encode` writes the model's floating-point state to
  ``bytes`` in the format documented there; :func:`decode` reads it back; :func:`stored_size` is
  ``len(encode(...))``, and :func:`size_breakdown` says where those bytes go. Its streams (fixed-width
  fields, Huffman codes, relative indices) are in :mod:`smallnets_edu.studies.bitstreams`.

Sizes are in MB of 2**20 bytes, as the paper's: 1,248,424 parameters x 4 bytes = 4.76MB ("4.8MB").
:func:`dense_size`, :func:`megabytes` and :func:`squeezenet_cost` (SqueezeNet's parameters and
multiply-accumulates for any squeeze ratio and share of 3x3 filters, lesson 02's explorer) live beside
the cost model in :mod:`smallnets_edu.cost_squeezenet`; :func:`draw_fire` with the other diagrams in
:mod:`smallnets_edu.drawing.fire`.
"""

# Every import below is a re-export (lesson 02 and its exercises use `compression.X`); `__all__` lists
# the names `from smallnets_edu.compression import *` gives.
# ruff: noqa: F401
from __future__ import annotations

from .cost_squeezenet import MB, SqueezeNetCost, dense_size, megabytes, squeezenet_cost
from .drawing.fire import FIRE_DIAGRAM_SIZE, draw_fire
from .studies.bitstreams import (
    MAX_HUFFMAN_LENGTH,
    MAX_INDEX_BITS,
    huffman_lengths,
    positions_from_relative,
    relative_indices,
)
from .studies.codec import (
    CODEBOOK_DENSE,
    CODEBOOK_SPARSE,
    HUFFMAN_FLAG,
    MAGIC,
    RAW_DENSE,
    RAW_SPARSE,
    ChunkSize,
    decode,
    encode,
    size_breakdown,
    stored_size,
)
from .studies.pruning import (
    density,
    kept_count,
    overall_density,
    prune_by_magnitude,
    weight_names,
    zeros_kept,
)
from .studies.quantization import compress, kmeans_1d, linear_codebook, quantize_weights

__all__ = [
    "MB",
    "ChunkSize",
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
]
