"""Deep Compression's second step: weight sharing, each tensor's weights drawn from a small codebook.

- :func:`quantize_weights` replaces each tensor's weights by the nearest of ``2**bits`` shared values:
  1D k-means with linear initialisation (:func:`kmeans_1d`, Deep Compression's best choice), or a
  uniform grid (:func:`linear_codebook`). Pruned zeros stay exact zeros and are not clustered; they cost
  nothing in the sparse format of :mod:`smallnets_edu.studies.codec`.
- :func:`compress` prunes (:mod:`smallnets_edu.studies.pruning`) then quantizes: the two lossy steps.

:mod:`smallnets_edu.compression` gathers this module's names with the other steps of Deep Compression.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from .bitstreams import _check_bits
from .pruning import prune_by_magnitude, weight_names

# --------------------------------------------------------------------------------------------------
# Weight sharing (quantization to a per-layer codebook)
# --------------------------------------------------------------------------------------------------


def kmeans_1d(values: torch.Tensor, k: int, iters: int = 300) -> tuple[torch.Tensor, torch.Tensor]:
    """Lloyd's k-means on a 1D tensor, with linear initialisation (see ``_linear_init``).

    Returns ``(codebook, assignment)``: sorted centroids (empty clusters removed) and, for each value,
    the index of its centroid. In one dimension every cluster is a run of the sorted values, so an
    iteration is a binary search of the midpoints and two look-ups in a running sum: ``O(k log n)``.
    """
    x = values.detach().reshape(-1).to(torch.float64)
    if x.numel() == 0:
        raise ValueError("cannot cluster an empty tensor")
    distinct = torch.unique(x)
    if distinct.numel() <= k:  # nothing to share: every value is its own centroid
        return distinct.to(values.dtype), torch.bucketize(x, distinct)
    xs = x.sort().values
    running = torch.cat([torch.zeros(1, dtype=torch.float64), xs.cumsum(0)])
    centroids = _linear_init(xs, k)
    for _ in range(iters):
        # cluster j holds the sorted values in [ends[j-1], ends[j]) (a value on a midpoint goes down,
        # as torch.bucketize sends it)
        ends = torch.searchsorted(xs, (centroids[1:] + centroids[:-1]) / 2, right=True)
        ends = torch.cat([torch.zeros(1, dtype=torch.long), ends, torch.tensor([xs.numel()])])
        counts = ends[1:] - ends[:-1]
        sums = running[ends[1:]] - running[ends[:-1]]
        updated = torch.where(counts > 0, sums / counts.clamp(min=1), centroids).sort().values
        if torch.equal(updated, centroids):
            break
        centroids = updated
    assign = torch.bucketize(x, (centroids[1:] + centroids[:-1]) / 2)
    codebook = centroids[torch.unique(assign)]
    assign = torch.bucketize(x, (codebook[1:] + codebook[:-1]) / 2)
    return codebook.to(values.dtype), assign


def _linear_init(xs: torch.Tensor, k: int) -> torch.Tensor:
    """Evenly spaced centroids over the occupied range of the sorted values ``xs``.

    Deep Compression spaces the initial centroids evenly between the smallest and the largest weight.
    After pruning, the weights near zero are gone: centroids placed in that empty middle would never
    attract a weight. So the ``k`` centroids are spread evenly over the negative and the positive
    range separately, in proportion to their widths (for an unpruned tensor this is the plain linear
    initialisation, give or take one centroid).
    """
    negative, positive = xs[xs < 0], xs[xs > 0]
    if len(negative) == 0 or len(positive) == 0 or k < 2:
        return torch.linspace(float(xs[0]), float(xs[-1]), k, dtype=torch.float64)
    width_neg = float(negative[-1] - negative[0])
    width_pos = float(positive[-1] - positive[0])
    k_neg = min(k - 1, max(1, round(k * width_neg / max(width_neg + width_pos, 1e-300))))
    return torch.cat(
        [
            torch.linspace(float(negative[0]), float(negative[-1]), k_neg, dtype=torch.float64),
            torch.linspace(float(positive[0]), float(positive[-1]), k - k_neg, dtype=torch.float64),
        ]
    )


def linear_codebook(values: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``k`` evenly spaced levels from min to max; each value goes to the nearest (used levels kept)."""
    x = values.detach().reshape(-1).to(torch.float64)
    if x.numel() == 0:
        raise ValueError("cannot quantize an empty tensor")
    low, high = float(x.min()), float(x.max())
    if low == high:
        codebook = x[:1].to(values.dtype)
        return codebook, torch.zeros_like(x, dtype=torch.long)
    levels = torch.linspace(low, high, k, dtype=torch.float64)
    assign = torch.bucketize(x, (levels[1:] + levels[:-1]) / 2)
    used = torch.unique(assign)
    codebook = levels[used].to(values.dtype)
    return codebook, torch.bucketize(x, ((codebook[1:] + codebook[:-1]) / 2).to(torch.float64))


@torch.no_grad()
def quantize_weights(
    model: nn.Module, bits: int, method: str = "kmeans", exclude: tuple[str, ...] = ()
) -> nn.Module:
    """A copy of ``model`` whose weight tensors each use at most ``2**bits`` distinct non-zero values.

    Per tensor, the non-zero weights are clustered into a codebook of ``2**bits`` shared values
    (``method="kmeans"``: Deep Compression's weight sharing with linear initialisation, spread over
    the negative and positive weights that pruning left;
    ``"linear"``: a uniform grid from the smallest to the largest weight) and each weight is replaced by
    its centroid. Zeros (pruned weights) stay exactly zero, so pruning then quantizing keeps the mask.
    The codebook is stored at 32 bits by :func:`encode`. Deep Compression then retrains the centroids;
    this does not.
    """
    bits = _check_bits(bits)
    if method not in ("kmeans", "linear"):
        raise ValueError(f"method must be 'kmeans' or 'linear', got {method!r}")
    names = set(weight_names(model))
    unknown = sorted(set(exclude) - names)
    if unknown:
        raise ValueError(
            f"exclude names no weight tensor of this model: {unknown}; weights are {sorted(names)}"
        )
    cluster = kmeans_1d if method == "kmeans" else linear_codebook
    quantized = copy.deepcopy(model)
    for name, p in quantized.named_parameters():
        if name not in names or name in exclude:
            continue
        flat = p.detach().reshape(-1).clone()  # a copy whatever the memory format; written back below
        nonzero = flat != 0
        if not nonzero.any():
            continue
        codebook, assign = cluster(flat[nonzero], 2**bits)
        flat[nonzero] = codebook[assign].to(flat.dtype)
        p.copy_(flat.view(p.shape))
    return quantized


def compress(model: nn.Module, density: float = 0.33, bits: int = 8, method: str = "kmeans") -> nn.Module:
    """Prune to ``density`` then quantize to ``bits``: the two lossy steps of Deep Compression."""
    return quantize_weights(prune_by_magnitude(model, density), bits, method)


__all__ = [
    "compress",
    "kmeans_1d",
    "linear_codebook",
    "quantize_weights",
]
