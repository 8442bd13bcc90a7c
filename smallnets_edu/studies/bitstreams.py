"""The streams inside an encoded model: fixed-width fields, canonical Huffman codes, relative indices.

- Fixed-width packing writes unsigned integers of ``width`` bits each, most significant bit first,
  padded to a whole byte.
- :func:`huffman_lengths` gives the code length of every symbol of a Huffman code whose lengths are
  capped at :data:`MAX_HUFFMAN_LENGTH`; the codes themselves are canonical, so the lengths are all a
  decoder needs.
- :func:`relative_indices` and :func:`positions_from_relative` turn the positions of a sparse tensor's
  non-zeros into Deep Compression's relative indices (Han, Mao, Dally 2016, arXiv:1510.00149) and back.

:mod:`smallnets_edu.studies.codec` builds its file format from these pieces.
"""

from __future__ import annotations

import heapq

import numpy as np

MAX_INDEX_BITS = 8  # relative indices are 1..8 bits wide (Deep Compression: 8 for conv, 5 for fc)
MAX_HUFFMAN_LENGTH = 16  # longest Huffman code we allow (keeps decoding tables small)


def _check_bits(bits: object, name: str = "bits", low: int = 1, high: int = 16) -> int:
    if isinstance(bits, bool) or not isinstance(bits, int) or not low <= bits <= high:
        raise ValueError(f"{name} must be an integer from {low} to {high}, got {bits!r}")
    return bits


# --------------------------------------------------------------------------------------------------
# Fixed-width fields
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


__all__ = [
    "MAX_HUFFMAN_LENGTH",
    "MAX_INDEX_BITS",
    "huffman_lengths",
    "positions_from_relative",
    "relative_indices",
]
