"""Deep Compression's third step: the model as bytes you can count, in a sparse, codebook, Huffman format.

:func:`encode` writes a model's floating-point state to ``bytes`` in the format documented there;
:func:`decode` reads it back; :func:`stored_size` is ``len(encode(...))``, and :func:`size_breakdown`
says where those bytes go (one :class:`ChunkSize` per stored tensor). The streams inside a chunk
(fixed-width fields, Huffman codes, relative indices) come from :mod:`smallnets_edu.studies.bitstreams`.

:mod:`smallnets_edu.compression` gathers this module's names with the other steps of Deep Compression.
"""

from __future__ import annotations

import copy
import math
import struct
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .bitstreams import (
    MAX_INDEX_BITS,
    _check_bits,
    _fixed_bytes,
    _huffman_bytes,
    _huffman_decode,
    _huffman_encode,
    _pack_fixed,
    _unpack_fixed,
    huffman_lengths,
    positions_from_relative,
    relative_indices,
)
from .pruning import _is_weight

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


def _float_state(model: nn.Module) -> list[tuple[str, torch.Tensor]]:
    """Every floating-point entry of the state dict, in order (what ``encode`` stores)."""
    return [(name, t) for name, t in model.state_dict().items() if t.is_floating_point()]


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

    parts = dict(positions=positions, stored=stored, codebook=codebook, assign=assign, value_bits=value_bits)
    parts["index_bits"] = index_bits
    fixed = _encode_tensor_parts(name, flat, numel, sparse, use_huffman=False, **parts)
    if huffman and (sparse or codebook is not None):
        # Code tables cost bytes too: a small tensor may be smaller without Huffman coding.
        coded = _encode_tensor_parts(name, flat, numel, sparse, use_huffman=True, **parts)
        return coded if len(coded[0]) < len(fixed[0]) else fixed
    return fixed


def _encode_tensor_parts(
    name: str,
    flat: torch.Tensor,
    numel: int,
    sparse: bool,
    *,
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


__all__ = [
    "CODEBOOK_DENSE",
    "CODEBOOK_SPARSE",
    "HUFFMAN_FLAG",
    "MAGIC",
    "RAW_DENSE",
    "RAW_SPARSE",
    "ChunkSize",
    "decode",
    "encode",
    "size_breakdown",
    "stored_size",
]
