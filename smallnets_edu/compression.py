"""Deep Compression on our own models: magnitude pruning, weight sharing, and bytes you can count.

SqueezeNet's headline (Iandola et al. 2016, arXiv:1602.07360, Table 2) is that its 4.8MB of 32-bit
weights compress to 0.66MB with 33% of the weights kept and 8-bit weights, and to 0.47MB with 6-bit
weights, at the same accuracy. The method is Deep Compression (Han, Mao, Dally 2016, arXiv:1510.00149):
prune the small weights, retrain; share weights through a per-layer k-means codebook, retrain the
centroids; store the sparse matrix as relative indices, and Huffman-code both streams.

This module reproduces the three storage steps on any model of the course, without the retraining:

- :func:`prune_by_magnitude` keeps the largest ``density`` fraction of the weights of *every* weight
  tensor (the same fraction per layer). Deep Compression chooses a threshold per layer from a
  sensitivity analysis (the first layer usually keeps more), then retrains with the mask fixed.
- :func:`zeros_kept` keeps pruned weights at zero while a pruned model is retrained (fine-tuned).
- :func:`quantize_weights` replaces each tensor's weights by the nearest of ``2**bits`` shared values:
  1D k-means with linear initialisation (Deep Compression's best choice), or a uniform ("linear") grid.
  Pruned zeros stay exact zeros and are not clustered; they cost nothing in the sparse format.
- :func:`encode` writes the model's floating-point state to ``bytes`` in the format documented there;
  :func:`decode` reads it back; :func:`stored_size` is ``len(encode(...))``, and
  :func:`size_breakdown` says where those bytes go.

Sizes are in MB of 2**20 bytes, as the paper's: 1,248,424 parameters x 4 bytes = 4.76MB ("4.8MB").

The last section, :func:`squeezenet_cost`, gives SqueezeNet's parameters and multiply-accumulates for
any squeeze ratio and share of 3x3 filters in microseconds (lesson 02's explorer), from the paper's
metaparameters and the map sizes of one profiled model.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import heapq
import math
import struct
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

MB = 2**20  # bytes in the paper's "MB"
MAGIC = b"SQZ1"

# Chunk kinds in the container (see ``encode``).
RAW_DENSE, CODEBOOK_DENSE, RAW_SPARSE, CODEBOOK_SPARSE = 0, 1, 2, 3
HUFFMAN_FLAG = 4
_KIND_NAMES = {
    RAW_DENSE: "float32 dense",
    CODEBOOK_DENSE: "codebook dense",
    RAW_SPARSE: "float32 sparse",
    CODEBOOK_SPARSE: "codebook sparse",
}
MAX_INDEX_BITS = 8  # relative indices are 1..8 bits wide (Deep Compression: 8 for conv, 5 for fc)
MAX_HUFFMAN_LENGTH = 16  # longest Huffman code we allow (keeps decoding tables small)


def megabytes(nbytes: int | float) -> float:
    """Bytes in the paper's MB (2**20 bytes)."""
    return nbytes / MB


def dense_size(model: nn.Module, bits: int = 32) -> int:
    """Bytes of every parameter at ``bits`` bits, no index and no header: the paper's "model size"."""
    if isinstance(bits, bool) or not isinstance(bits, int) or bits < 1:
        raise ValueError(f"bits must be a positive integer, got {bits!r}")
    return math.ceil(sum(p.numel() for p in model.parameters()) * bits / 8)


# --------------------------------------------------------------------------------------------------
# Which tensors are "weights"
# --------------------------------------------------------------------------------------------------


def _is_weight(name: str, tensor: torch.Tensor) -> bool:
    """Convolution and linear weights (2+ dimensions): what pruning and quantization act on.

    Biases and BatchNorm vectors stay 32-bit: they are a fraction of a percent of a model's size, and
    Deep Compression also leaves them alone.
    """
    return tensor.is_floating_point() and tensor.dim() >= 2


def weight_names(model: nn.Module) -> list[str]:
    """Names of the parameters that pruning and quantization act on, in ``state_dict`` order."""
    return [name for name, p in model.named_parameters() if _is_weight(name, p)]


def _float_state(model: nn.Module) -> list[tuple[str, torch.Tensor]]:
    """Every floating-point entry of the state dict, in order (what ``encode`` stores)."""
    return [(name, t) for name, t in model.state_dict().items() if t.is_floating_point()]


def density(model: nn.Module) -> dict[str, float]:
    """Fraction of non-zero entries in each weight tensor."""
    return {
        name: float((p != 0).sum()) / p.numel() for name, p in model.named_parameters() if _is_weight(name, p)
    }


def overall_density(model: nn.Module) -> float:
    """Non-zero weights / all weights, over every weight tensor together."""
    kept = total = 0
    for name, p in model.named_parameters():
        if _is_weight(name, p):
            kept += int((p != 0).sum())
            total += p.numel()
    if total == 0:
        raise ValueError("this model has no convolution or linear weights")
    return kept / total


# --------------------------------------------------------------------------------------------------
# 1. Pruning
# --------------------------------------------------------------------------------------------------


def _check_density(value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        raise ValueError(
            f"density is the fraction of weights kept, 0 < density <= 1, got {value!r} "
            "(the paper keeps 33%: density=0.33)"
        )
    return float(value)


def kept_count(numel: int, density: float) -> int:
    """How many weights of a tensor of ``numel`` survive at ``density``: rounded, and at least one."""
    return max(1, min(numel, round(_check_density(density) * numel)))


@torch.no_grad()
def prune_by_magnitude(model: nn.Module, density: float, exclude: tuple[str, ...] = ()) -> nn.Module:
    """A copy of ``model`` in which every weight tensor keeps only its largest-magnitude weights.

    Each convolution or linear weight tensor keeps exactly :func:`kept_count` ``(numel, density)`` of
    its weights, those of largest absolute value (ties broken by position); the rest are set to zero.
    The same fraction is kept in every layer, so the model's overall density is ``density`` too.
    Names listed in ``exclude`` (parameter names, e.g. ``"features.conv1.0.weight"``) are left dense.

    Deep Compression (Han et al. 2016) picks a different threshold per layer from each layer's
    sensitivity and retrains the survivors with the mask fixed; here no retraining happens, so the
    accuracy of the copy tells what pruning alone costs.
    """
    density = _check_density(density)
    names = set(weight_names(model))
    unknown = sorted(set(exclude) - names)
    if unknown:
        raise ValueError(
            f"exclude names no weight tensor of this model: {unknown}; weights are {sorted(names)}"
        )
    pruned = copy.deepcopy(model)
    for name, p in pruned.named_parameters():
        if name not in names or name in exclude:
            continue
        # reshape copies a channels_last tensor, so work on a flat copy and write it back
        flat = p.detach().reshape(-1).clone()
        keep = kept_count(flat.numel(), density)
        order = torch.argsort(flat.abs(), descending=True, stable=True)
        mask = torch.zeros_like(flat, dtype=torch.bool)
        mask[order[:keep]] = True
        p.copy_((flat * mask).view(p.shape))
    return pruned


@contextlib.contextmanager
def zeros_kept(model: nn.Module) -> Iterator[nn.Module]:
    """Within this block, training leaves the pruned (zero) weights of ``model`` at zero.

    Deep Compression retrains after pruning with the mask fixed. A gradient hook multiplies each
    weight tensor's gradient by its mask of non-zeros; with a zero gradient and a zero weight, SGD
    (momentum, Nesterov and weight decay included) and Adam leave the weight exactly zero::

        pruned = prune_by_magnitude(model, 0.33)
        with zeros_kept(pruned):
            train.fit(pruned, dataset, epochs=1)
    """
    handles = []
    for name, p in model.named_parameters():
        if _is_weight(name, p) and p.requires_grad:
            mask = (p.detach() != 0).to(p.dtype)
            handles.append(p.register_hook(lambda grad, mask=mask: grad * mask.to(grad.device)))
    try:
        yield model
    finally:
        for handle in handles:
            handle.remove()


# --------------------------------------------------------------------------------------------------
# 2. Weight sharing (quantization to a per-layer codebook)
# --------------------------------------------------------------------------------------------------


def _check_bits(bits: object, name: str = "bits", low: int = 1, high: int = 16) -> int:
    if isinstance(bits, bool) or not isinstance(bits, int) or not low <= bits <= high:
        raise ValueError(f"{name} must be an integer from {low} to {high}, got {bits!r}")
    return bits


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


# --------------------------------------------------------------------------------------------------
# 3. Bytes: the container format
# --------------------------------------------------------------------------------------------------


def _pack_fixed(values: np.ndarray, width: int) -> bytes:
    """Unsigned integers, ``width`` bits each, most significant bit first, padded to a whole byte."""
    if values.size == 0:
        return b""
    shifts = np.arange(width - 1, -1, -1, dtype=np.int64)
    bits = ((values.astype(np.int64)[:, None] >> shifts) & 1).astype(np.uint8)
    return np.packbits(bits.reshape(-1)).tobytes()


def _unpack_fixed(data: bytes, count: int, width: int) -> np.ndarray:
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8))[: count * width].reshape(count, width)
    return bits.astype(np.int64) @ (1 << np.arange(width - 1, -1, -1, dtype=np.int64))


def _fixed_bytes(count: int, width: int) -> int:
    return (count * width + 7) // 8


# Huffman coding (canonical codes, lengths capped at MAX_HUFFMAN_LENGTH) ------------------------------


def huffman_lengths(counts: np.ndarray, limit: int = MAX_HUFFMAN_LENGTH) -> np.ndarray:
    """Code length of each symbol of a Huffman code for these counts (0 for unused symbols).

    When the optimal code would need codes longer than ``limit`` bits, the counts are flattened
    (halved, keeping every used symbol at least 1) until it does not: a slightly longer stream in
    exchange for small decoding tables.
    """
    counts = np.asarray(counts, dtype=np.int64)
    used = np.flatnonzero(counts)
    lengths = np.zeros(len(counts), dtype=np.int64)
    if len(used) == 0:
        return lengths
    if len(used) == 1:
        lengths[used] = 1
        return lengths
    work = counts[used].copy()
    while True:
        heap = [(int(c), i, (i,)) for i, c in enumerate(work)]
        heapq.heapify(heap)
        depth = np.zeros(len(work), dtype=np.int64)
        tiebreak = len(work)
        while len(heap) > 1:
            c1, _, s1 = heapq.heappop(heap)
            c2, _, s2 = heapq.heappop(heap)
            members = s1 + s2
            depth[list(members)] += 1
            heapq.heappush(heap, (c1 + c2, tiebreak, members))
            tiebreak += 1
        if depth.max() <= limit:
            lengths[used] = depth
            return lengths
        work = (work + 1) // 2


def _canonical_codes(lengths: np.ndarray) -> np.ndarray:
    """Canonical Huffman codes: symbols sorted by (length, symbol) take consecutive codes."""
    codes = np.zeros(len(lengths), dtype=np.int64)
    code, previous = 0, 0
    for symbol in sorted(np.flatnonzero(lengths), key=lambda s: (lengths[s], s)):
        code <<= int(lengths[symbol]) - previous
        codes[symbol] = code
        previous = int(lengths[symbol])
        code += 1
    return codes


def _huffman_encode(symbols: np.ndarray, lengths: np.ndarray) -> bytes:
    if symbols.size == 0:
        return b""
    codes = _canonical_codes(lengths)
    sym_codes, sym_lengths = codes[symbols], lengths[symbols]
    starts = np.cumsum(sym_lengths) - sym_lengths
    bits = np.zeros(int(sym_lengths.sum()), dtype=np.uint8)
    for j in range(int(sym_lengths.max())):
        sel = sym_lengths > j
        bits[starts[sel] + j] = (sym_codes[sel] >> (sym_lengths[sel] - 1 - j)) & 1
    return np.packbits(bits).tobytes()


def _huffman_decode(data: bytes, count: int, lengths: np.ndarray) -> np.ndarray:
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    longest = int(lengths.max())
    codes = _canonical_codes(lengths)
    table_symbol = np.zeros(1 << longest, dtype=np.int64)
    table_length = np.zeros(1 << longest, dtype=np.int64)
    for symbol in np.flatnonzero(lengths):
        shift = longest - int(lengths[symbol])
        start = int(codes[symbol]) << shift
        table_symbol[start : start + (1 << shift)] = symbol
        table_length[start : start + (1 << shift)] = lengths[symbol]
    bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8)).astype(np.int64)
    bits = np.concatenate([bits, np.zeros(longest, dtype=np.int64)])
    # The next ``longest`` bits at every position, so each symbol is one table look-up.
    windows = np.zeros(len(bits) - longest, dtype=np.int64)
    for j in range(longest):
        windows = (windows << 1) | bits[j : j + len(windows)]
    windows_list, symbols_list, lengths_list = windows.tolist(), table_symbol.tolist(), table_length.tolist()
    out, position = [], 0
    for _ in range(count):
        window = windows_list[position]
        out.append(symbols_list[window])
        position += lengths_list[window]
    return np.asarray(out, dtype=np.int64)


def _huffman_bytes(counts: np.ndarray) -> int:
    lengths = huffman_lengths(counts)
    return (int((lengths * counts).sum()) + 7) // 8


# Relative indices ---------------------------------------------------------------------------------


def relative_indices(positions: np.ndarray, index_bits: int) -> np.ndarray:
    """Deep Compression's relative indexing, with a filler that carries no value.

    Each non-zero is stored as the number of zeros skipped since the previous one, in ``index_bits``
    bits. The largest code, ``M = 2**index_bits - 1``, is a filler: "skip M positions, no weight
    here". A gap of ``g`` zeros becomes ``g // M`` fillers and then ``g % M``. (Deep Compression's
    filler is a stored zero weight, which also costs a value slot; ours costs index bits only.)
    """
    _check_bits(index_bits, "index_bits", 1, MAX_INDEX_BITS)
    positions = np.asarray(positions, dtype=np.int64)
    if positions.size == 0:
        return np.zeros(0, dtype=np.int64)
    filler = (1 << index_bits) - 1
    gaps = np.diff(positions, prepend=-1) - 1
    fillers = gaps // filler
    entries = np.full(int(fillers.sum()) + len(positions), filler, dtype=np.int64)
    entries[np.cumsum(fillers + 1) - 1] = gaps % filler
    return entries


def positions_from_relative(entries: np.ndarray, index_bits: int) -> np.ndarray:
    """The inverse of :func:`relative_indices`: flat positions of the non-zeros."""
    filler = (1 << index_bits) - 1
    entries = np.asarray(entries, dtype=np.int64)
    steps = np.where(entries == filler, filler, entries + 1)
    return (np.cumsum(steps) - 1)[entries != filler]


def _best_index_bits(positions: np.ndarray, huffman: bool) -> tuple[int, np.ndarray]:
    """The index width (1..8 bits) that makes this tensor's index stream smallest."""
    best = None
    for index_bits in range(1, MAX_INDEX_BITS + 1):
        entries = relative_indices(positions, index_bits)
        if huffman:
            counts = np.bincount(entries, minlength=1 << index_bits)
            size = _huffman_bytes(counts) + (1 << index_bits)  # + the code-length table
        else:
            size = _fixed_bytes(len(entries), index_bits)
        if best is None or size < best[0]:
            best = (size, index_bits, entries)
    return best[1], best[2]


# The encoder --------------------------------------------------------------------------------------


@dataclass
class ChunkSize:
    """Where the bytes of one stored tensor go (``size_breakdown``)."""

    name: str
    numel: int
    nonzero: int
    kind: str
    value_bits: int | None  # width of a codebook index (None: raw float32 values)
    index_bits: int | None  # width of a relative index (None: dense)
    header: int  # kind, counts and widths, Huffman code-length tables
    codebook: int  # the shared values, float32
    index: int  # relative-index stream
    values: int  # codebook indices, or float32 values

    @property
    def total(self) -> int:
        return self.header + self.codebook + self.index + self.values


def _encode_tensor(
    name: str, tensor: torch.Tensor, bits: int | None, sparse: bool, huffman: bool, index_bits: int | None
) -> tuple[bytes, ChunkSize]:
    flat = tensor.detach().reshape(-1).to(torch.float32).cpu()
    numel = flat.numel()
    is_weight = _is_weight(name, tensor)
    sparse = sparse and is_weight
    positions = torch.nonzero(flat).reshape(-1).numpy() if sparse else None
    stored = flat[torch.from_numpy(positions)] if sparse else flat

    # Values: a codebook of the distinct values when that is smaller (or when ``bits`` asks for one).
    codebook = assign = value_bits = None
    if is_weight and stored.numel():
        distinct, inverse = torch.unique(stored, return_inverse=True)
        k = distinct.numel()
        width = max(1, math.ceil(math.log2(k)))
        if bits is not None:
            if k > 2**bits:
                where = "non-zero " if sparse else ""
                raise ValueError(
                    f"{name} has {k} distinct {where}values, more than 2**{bits} = {2**bits}: quantize first "
                    f"(quantize_weights(model, bits={bits})), or leave bits=None to store float32 values"
                    + ("" if sparse else "; in a dense format a pruned zero is one more value")
                )
            width = bits
        if bits is not None or 4 * k + _fixed_bytes(stored.numel(), width) < 4 * stored.numel():
            codebook, assign, value_bits = distinct, inverse.numpy().astype(np.int64), width

    use_huffman = huffman and (sparse or codebook is not None)
    if use_huffman:  # code tables cost bytes too: a small tensor may be smaller without Huffman coding
        fixed = _encode_tensor_parts(
            name, flat, numel, sparse, positions, stored, codebook, assign, value_bits, False, index_bits
        )
        coded = _encode_tensor_parts(
            name, flat, numel, sparse, positions, stored, codebook, assign, value_bits, True, index_bits
        )
        return coded if len(coded[0]) < len(fixed[0]) else fixed
    return _encode_tensor_parts(
        name, flat, numel, sparse, positions, stored, codebook, assign, value_bits, False, index_bits
    )


def _encode_tensor_parts(
    name: str,
    flat: torch.Tensor,
    numel: int,
    sparse: bool,
    positions: np.ndarray | None,
    stored: torch.Tensor,
    codebook: torch.Tensor | None,
    assign: np.ndarray | None,
    value_bits: int | None,
    use_huffman: bool,
    index_bits: int | None,
) -> tuple[bytes, ChunkSize]:
    if codebook is not None:
        kind = CODEBOOK_SPARSE if sparse else CODEBOOK_DENSE
    else:
        kind = RAW_SPARSE if sparse else RAW_DENSE
    # Written in the order decode() reads; each part is tallied for size_breakdown().
    parts = {"header": 0, "codebook": 0, "index": 0, "values": 0}
    out = bytearray()

    def put(part: str, data: bytes) -> None:
        out.extend(data)
        parts[part] += len(data)

    put("header", struct.pack("<BI", kind | (HUFFMAN_FLAG if use_huffman else 0), numel))
    if codebook is not None:
        put("header", struct.pack("<BI", value_bits, codebook.numel()))
        put("codebook", codebook.numpy().astype("<f4").tobytes())
    if sparse:
        if index_bits is None:
            index_bits, entries = _best_index_bits(positions, use_huffman)
        else:
            entries = relative_indices(positions, index_bits)
        put("header", struct.pack("<BII", index_bits, len(entries), len(positions)))
        if use_huffman:
            lengths = huffman_lengths(np.bincount(entries, minlength=1 << index_bits))
            stream = _huffman_encode(entries, lengths)
            put("header", lengths.astype(np.uint8).tobytes() + struct.pack("<I", len(stream)))
            put("index", stream)
        else:
            put("index", _pack_fixed(entries, index_bits))
    if codebook is not None:
        if use_huffman:
            lengths = huffman_lengths(np.bincount(assign, minlength=codebook.numel()))
            stream = _huffman_encode(assign, lengths)
            put("header", lengths.astype(np.uint8).tobytes() + struct.pack("<I", len(stream)))
            put("values", stream)
        else:
            put("values", _pack_fixed(assign, value_bits))
    else:
        put("values", stored.numpy().astype("<f4").tobytes())
    size = ChunkSize(
        name=name,
        numel=numel,
        nonzero=int((flat != 0).sum()),
        kind=_KIND_NAMES[kind] + (" + Huffman" if use_huffman else ""),
        value_bits=value_bits,
        index_bits=index_bits if sparse else None,
        **parts,
    )
    return bytes(out), size


def _encode(
    model: nn.Module, bits: int | None, sparse: bool, huffman: bool, index_bits: int | None
) -> tuple[bytes, list[ChunkSize]]:
    if bits is not None:
        bits = _check_bits(bits)
    if index_bits is not None:
        index_bits = _check_bits(index_bits, "index_bits", 1, MAX_INDEX_BITS)
    state = _float_state(model)
    chunks, sizes = [MAGIC + struct.pack("<I", len(state))], []
    for name, tensor in state:
        chunk, size = _encode_tensor(name, tensor, bits, sparse, huffman, index_bits)
        chunks.append(chunk)
        sizes.append(size)
    return b"".join(chunks), sizes


def encode(
    model: nn.Module,
    bits: int | None = None,
    sparse: bool = True,
    huffman: bool = False,
    index_bits: int | None = None,
) -> bytes:
    """The model's floating-point state as bytes, in this module's sparse, codebook format.

    The container is ``b"SQZ1"``, a uint32 tensor count, then one chunk per floating-point entry of
    ``model.state_dict()`` in order (no names: like a Deep Compression file, it is decoded against the
    architecture, :func:`decode`). All integers are little-endian. A chunk is, in this order:

    1. ``uint8 kind`` (0 float32 dense, 1 codebook dense, 2 float32 sparse, 3 codebook sparse; +4 when
       Huffman-coded) and ``uint32 numel``;
    2. with a codebook: ``uint8 value_bits``, ``uint32 K`` and the ``K`` shared values as float32;
    3. when sparse: ``uint8 index_bits``, ``uint32 entries`` (non-zeros plus fillers), ``uint32 nnz``,
       then the relative-index stream (:func:`relative_indices`): ``entries`` codes of ``index_bits``
       bits, padded to a whole byte;
    4. the values of the stored entries: ``value_bits``-bit codebook indices padded to a byte, or
       float32 values.

    With ``huffman=True`` each stream is Huffman-coded instead (canonical codes): it is preceded by
    one byte of code length per symbol (``2**index_bits`` or ``K`` of them) and a uint32 byte count.

    Choices: biases and BatchNorm vectors are always float32 dense. ``index_bits=None`` lets each
    sparse tensor pick the index width (1..8 bits) that makes it smallest; an int fixes it
    (Deep Compression used 8 bits for convolutions). ``bits`` fixes the codebook-index width (the tensor
    must have at most ``2**bits`` distinct stored values, else ValueError); ``None`` picks the smallest
    width, and float32 values where a codebook would not save anything (an unquantized tensor).
    ``sparse=False`` stores every entry, zeros included.

    Compared with Deep Compression's storage: the same three ideas (relative indices, a codebook,
    Huffman coding), but a filler costs no value slot, index widths adapt per tensor, code tables are
    per tensor, and there is a header of 5 to 22 bytes per tensor; the biases are stored too.
    """
    return _encode(model, bits, sparse, huffman, index_bits)[0]


def stored_size(
    model: nn.Module,
    bits: int | None = None,
    sparse: bool = True,
    huffman: bool = False,
    index_bits: int | None = None,
) -> int:
    """Bytes of :func:`encode` (measured with ``len``, so every header byte counts)."""
    return len(encode(model, bits=bits, sparse=sparse, huffman=huffman, index_bits=index_bits))


def size_breakdown(
    model: nn.Module,
    bits: int | None = None,
    sparse: bool = True,
    huffman: bool = False,
    index_bits: int | None = None,
) -> list[ChunkSize]:
    """Per stored tensor, where the bytes of :func:`encode` go (they sum to its length minus 8)."""
    return _encode(model, bits, sparse, huffman, index_bits)[1]


def _read(fmt: str, data: bytes, offset: int) -> tuple[tuple, int]:
    size = struct.calcsize(fmt)
    if offset + size > len(data):
        raise ValueError("the encoded model ends too early: the bytes are truncated or not from encode()")
    return struct.unpack_from(fmt, data, offset), offset + size


def _take(data: bytes, offset: int, size: int) -> tuple[bytes, int]:
    if offset + size > len(data):
        raise ValueError("the encoded model ends too early: the bytes are truncated or not from encode()")
    return data[offset : offset + size], offset + size


@torch.no_grad()
def decode(data: bytes, like: nn.Module) -> nn.Module:
    """A copy of ``like`` with the floating-point state read from :func:`encode`'s bytes."""
    if data[:4] != MAGIC:
        raise ValueError("these bytes do not start with b'SQZ1': they were not written by compression.encode")
    (count,), offset = _read("<I", data, 4)
    model = copy.deepcopy(like)
    state = _float_state(model)
    if count != len(state):
        raise ValueError(
            f"the bytes hold {count} tensors but this model has {len(state)}: another architecture?"
        )
    for name, tensor in state:
        (kind, numel), offset = _read("<BI", data, offset)
        if numel != tensor.numel():
            raise ValueError(
                f"{name}: stored {numel} values, the model has {tensor.numel()}: another architecture?"
            )
        huffman, kind = bool(kind & HUFFMAN_FLAG), kind & ~HUFFMAN_FLAG
        codebook = None
        if kind in (CODEBOOK_DENSE, CODEBOOK_SPARSE):
            (value_bits, k), offset = _read("<BI", data, offset)
            raw, offset = _take(data, offset, 4 * k)
            codebook = np.frombuffer(raw, dtype="<f4")
        if kind in (RAW_SPARSE, CODEBOOK_SPARSE):
            (index_bits, n_entries, nnz), offset = _read("<BII", data, offset)
            if huffman:
                raw, offset = _take(data, offset, 1 << index_bits)
                lengths = np.frombuffer(raw, dtype=np.uint8).astype(np.int64)
                (nbytes,), offset = _read("<I", data, offset)
                raw, offset = _take(data, offset, nbytes)
                entries = _huffman_decode(raw, n_entries, lengths)
            else:
                raw, offset = _take(data, offset, _fixed_bytes(n_entries, index_bits))
                entries = _unpack_fixed(raw, n_entries, index_bits)
            positions = positions_from_relative(entries, index_bits)
            n_values = nnz
        else:
            positions, n_values = None, numel
        if codebook is not None:
            if huffman:
                raw, offset = _take(data, offset, len(codebook))
                lengths = np.frombuffer(raw, dtype=np.uint8).astype(np.int64)
                (nbytes,), offset = _read("<I", data, offset)
                raw, offset = _take(data, offset, nbytes)
                values = codebook[_huffman_decode(raw, n_values, lengths)]
            else:
                raw, offset = _take(data, offset, _fixed_bytes(n_values, value_bits))
                values = codebook[_unpack_fixed(raw, n_values, value_bits)]
        else:
            raw, offset = _take(data, offset, 4 * n_values)
            values = np.frombuffer(raw, dtype="<f4")
        flat = np.zeros(numel, dtype=np.float32)
        if positions is None:
            flat[:] = values
        else:
            flat[positions] = values
        tensor.copy_(torch.from_numpy(flat).reshape(tensor.shape).to(tensor.dtype))
    if offset != len(data):
        raise ValueError(f"{len(data) - offset} bytes left over after the last tensor: not from encode()?")
    return model


# --------------------------------------------------------------------------------------------------
# SqueezeNet's cost from its metaparameters (lesson 02's explorer)
# --------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _squeezenet_frame(version: str, variant: str, resolution: int, width_mult: float, num_classes: int):
    """Costs that do not depend on SR or pct3x3: conv1, and the map side of every Fire and of conv10."""
    from . import cost, models

    with torch.device("meta"):
        model = models.build(
            f"squeezenet{version}", variant=variant, width_mult=width_mult, num_classes=num_classes
        )
    prof = cost.profile(model, resolution)
    rows = {row.name: row for row in prof.layers}
    conv1 = rows["features.conv1.0"]
    fire_areas = tuple(
        rows[f"features.fire{i}.squeeze.0"].output_shape[2]
        * rows[f"features.fire{i}.squeeze.0"].output_shape[3]
        for i in range(2, 10)
    )
    conv10 = rows["classifier.conv10.0"]
    largest_fixed = max(
        row.activation_bytes // prof.bytes_per_value
        for row in prof.layers
        if row.name == "features.conv1.0" or row.kind == "pool"
    )
    return conv1.params, conv1.macs, conv1.output_shape[1], fire_areas, conv10.output_shape[2:], largest_fixed


@dataclass(frozen=True)
class SqueezeNetCost:
    params: int  # weights + biases
    macs: int  # multiply-accumulates of the convolutions
    largest_activation: int  # values in the largest single activation map (one image)
    fires: tuple[tuple[int, int, int], ...]  # (s1x1, e1x1, e3x3) of fire2 .. fire9

    @property
    def size_mb(self) -> float:
        """Model size at 32 bits, in the paper's MB."""
        return megabytes(4 * self.params)


@functools.lru_cache(maxsize=4096)
def squeezenet_cost(
    squeeze_ratio: float = 0.125,
    pct3x3: float = 0.5,
    resolution: int = 224,
    version: str = "1_0",
    variant: str = "imagenet",
    width_mult: float = 1.0,
    num_classes: int = 1000,
) -> SqueezeNetCost:
    """Parameters, MACs and the largest activation of a SqueezeNet, without building it.

    A Fire module with ``M`` inputs, ``s`` squeeze, ``e1`` and ``e3`` expand filters on an ``H x W``
    map has ``M*s + s*e1 + 9*s*e3`` weights (plus ``s + e1 + e3`` biases) and ``H*W`` times as many
    multiply-accumulates as weights. The Fire sizes come from the model's own ``fire_config`` and the
    map sizes from one profile of the network (cached), so this agrees exactly with
    ``cost.profile(models.build(...))``; the tests check it.
    """
    from .models import squeezenet

    if version not in ("1_0", "1_1"):
        raise ValueError(f"version must be '1_0' or '1_1', got {version!r}")
    conv1_params, conv1_macs, channels, areas, (h10, w10), largest = _squeezenet_frame(
        version, variant, resolution, float(width_mult), num_classes
    )
    fires = squeezenet.fire_config(squeeze_ratio, pct3x3, width_mult=width_mult)
    params, macs = conv1_params, conv1_macs
    for (s, e1, e3), area in zip(fires, areas, strict=True):
        weights = channels * s + s * e1 + 9 * s * e3
        params += weights + s + e1 + e3
        macs += weights * area
        largest = max(largest, (e1 + e3) * area)
        channels = e1 + e3
    params += channels * num_classes + num_classes
    macs += channels * num_classes * h10 * w10
    return SqueezeNetCost(params, macs, largest, tuple(fires))


FIRE_DIAGRAM_SIZE = (9.0, 3.6)


def draw_fire(fire: nn.Module, title: str | None = None, map_size: int | None = None):
    """A block diagram of a SqueezeNet Fire module, read from the module itself.

    Each column is a tensor, as tall as its channel count: the input, the squeeze layer's output, the
    two expand branches and their concatenation. Under each layer: its filters and its parameters
    (weights + biases), counted from the module's own tensors. A bypass, when the module has one, is
    drawn as the dashed arc over the top (added to the output). Returns a matplotlib Figure of size
    :data:`FIRE_DIAGRAM_SIZE`.
    """
    from matplotlib.patches import FancyArrowPatch, Rectangle

    from . import plots

    def conv_of(block: nn.Module) -> nn.Conv2d:
        return next(m for m in block.modules() if isinstance(m, nn.Conv2d))

    try:
        squeeze, e1, e3 = conv_of(fire.squeeze), conv_of(fire.expand1x1), conv_of(fire.expand3x3)
    except AttributeError as error:
        raise ValueError("draw_fire needs a Fire module (with squeeze, expand1x1 and expand3x3)") from error
    m, s, n1, n3 = squeeze.in_channels, squeeze.out_channels, e1.out_channels, e3.out_channels
    params = {
        key: sum(p.numel() for p in conv.parameters()) for key, conv in (("s", squeeze), ("1", e1), ("3", e3))
    }
    bypass = getattr(fire, "bypass", "none")
    shortcut = getattr(fire, "shortcut", None)

    fig, ax = plots.figure(*FIRE_DIAGRAM_SIZE)
    ax.set_axis_off()
    tallest = max(m, n1 + n3)
    scale = 2.6 / tallest  # drawing units per channel
    colours = {"pointwise": plots.kind_colour("pointwise"), "conv": plots.kind_colour("conv")}

    def column(x: float, y0: float, channels: int, colour: str, label: str) -> tuple[float, float]:
        height = max(channels * scale, 0.04)
        ax.add_patch(Rectangle((x, y0), 0.32, height, facecolor=colour, edgecolor="#333333", lw=0.8))
        ax.text(x + 0.16, y0 + height + 0.06, label, ha="center", va="bottom", fontsize=9)
        return x + 0.32, y0 + height / 2

    def arrow(start: tuple[float, float], end: tuple[float, float], colour: str = "#555555") -> None:
        ax.add_patch(
            FancyArrowPatch(
                start, end, arrowstyle="-|>", mutation_scale=10, color=colour, lw=1.2, shrinkA=2, shrinkB=2
            )
        )

    def caption(x: float, y: float, lines: list[str], colour: str) -> None:
        ax.text(x, y, "\n".join(lines), ha="center", va="top", fontsize=8.5, color=colour)

    mid = 1.5
    where = f" ({map_size}×{map_size})" if map_size else ""
    right_in, y_in = column(0.0, mid - m * scale / 2, m, "#CFCFCF", f"input: {m}{where}")
    right_s, y_s = column(2.1, mid - s * scale / 2, s, "#F4D6BE", f"{s}")
    arrow((right_in, y_in), (2.1, y_s), colours["pointwise"])
    caption(
        1.2,
        mid - 0.35 - m * scale / 4,
        ["squeeze 1×1", f"{s} filters", f"{params['s']:,} params"],
        colours["pointwise"],
    )
    up = mid + 0.15 + n3 * scale / 2
    down = mid - 0.15 - n1 * scale / 2
    right_1, y_1 = column(4.2, up - n1 * scale / 2 + n1 * scale / 2 - n1 * scale / 2, n1, "#F4D6BE", f"{n1}")
    right_3, y_3 = column(4.2, down - n3 * scale / 2, n3, "#C9D6EC", f"{n3}")
    arrow((right_s, y_s), (4.2, y_1), colours["pointwise"])
    arrow((right_s, y_s), (4.2, y_3), colours["conv"])
    ax.text(
        3.2,
        y_1 + 0.08,
        f"expand 1×1 · {n1} · {params['1']:,} params",
        ha="center",
        va="bottom",
        fontsize=8.5,
        color=colours["pointwise"],
        rotation=0,
    )
    ax.text(
        3.2,
        y_3 - 0.08,
        f"expand 3×3 · {n3} · {params['3']:,} params",
        ha="center",
        va="top",
        fontsize=8.5,
        color=colours["conv"],
    )
    top = y_1 + n1 * scale / 2
    bottom = y_3 - n3 * scale / 2
    x_cat = 6.3
    cat_bottom = mid - (n1 + n3) * scale / 2
    # channels 0 .. e1-1 come from the 1x1 branch (drawn on top), the rest from the 3x3 branch
    ax.add_patch(
        Rectangle(
            (x_cat, cat_bottom + n3 * scale),
            0.32,
            n1 * scale,
            facecolor="#F4D6BE",
            edgecolor="#333333",
            lw=0.8,
        )
    )
    ax.add_patch(
        Rectangle((x_cat, cat_bottom), 0.32, n3 * scale, facecolor="#C9D6EC", edgecolor="#333333", lw=0.8)
    )
    ax.text(
        x_cat + 0.16,
        mid + (n1 + n3) * scale / 2 + 0.06,
        f"concat: {n1 + n3}",
        ha="center",
        va="bottom",
        fontsize=9,
    )
    arrow((right_1, y_1), (x_cat, cat_bottom + n3 * scale + n1 * scale / 2), "#555555")
    arrow((right_3, y_3), (x_cat, cat_bottom + n3 * scale / 2), "#555555")
    ax.text(
        -0.4,
        min(bottom, mid - m * scale / 2) - 0.75,
        "Every convolution has a bias and a ReLU; the 3×3 one is padded, so both branches keep the map size.",
        ha="left",
        va="bottom",
        fontsize=8,
        color="#555555",
    )
    total = sum(params.values())
    extra = ""
    if bypass != "none":
        shortcut_params = sum(p.numel() for p in shortcut.parameters()) if shortcut is not None else 0
        total += shortcut_params
        kind = "identity" if shortcut is None else f"1×1 conv, {shortcut_params:,} params"
        extra = f" · bypass: {kind}"
        ax.add_patch(
            FancyArrowPatch(
                (0.16, mid + m * scale / 2 + 0.35),
                (x_cat + 0.16, mid + (n1 + n3) * scale / 2 + 0.35),
                connectionstyle="arc3,rad=-0.18",
                arrowstyle="-|>",
                mutation_scale=10,
                color="#8172B3",
                lw=1.2,
                linestyle="--",
            )
        )
    ax.set_xlim(-0.5, 7.4)
    headroom = 1.6 if bypass != "none" else 0.9
    ax.set_ylim(min(bottom, mid - m * scale / 2) - 0.9, max(top, mid + m * scale / 2) + headroom)
    heading = title or "Fire module"
    fig.suptitle(
        f"{heading}: {m} → {s} → {n1} + {n3} channels, {total:,} parameters{extra}",
        x=0.02,
        ha="left",
        fontsize=11,
    )
    fig.subplots_adjust(left=0.01, right=0.99, top=0.88, bottom=0.02)
    import matplotlib.pyplot as plt

    plt.close(fig)  # a cell ending with draw_fire(...) then shows it once, as its result
    return fig


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
