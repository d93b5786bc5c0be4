"""Home Assistant's byte and text encodings, vectorised: context ids as the recorder stores them, the
attribute hash, and JSON as Home Assistant writes it.

- ``ulid_bytes``: a 26-character ULID (Crockford base32, 130 bits of which the top two are zero) as its
  16 big-endian bytes, as ``ulid_transform.ulid_to_bytes`` (recorder ``models/context.py``
  ``ulid_to_bytes_or_none``) stores ``context_id_bin`` and ``context_parent_id_bin``.
- ``uuid_hex_bytes``: a 32-hex-digit user id as ``UUID(hex=...).bytes`` (``uuid_hex_to_bytes_or_none``),
  stored as ``context_user_id_bin``.
- ``fnv1a_32``: the hash of ``state_attributes.shared_attrs`` (``db_schema.StateAttributes.
  hash_shared_attrs_bytes`` = ``fnv_hash_fast.fnv1a_32`` of the UTF-8 bytes).
- ``compact_json``: ``helpers/json.py`` ``json_bytes`` (orjson, no spaces, non-ASCII kept, keys in
  insertion order), which the recorder uses for ``shared_attrs``.

Pure: no Dagster.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_DECODE = np.full(256, 255, dtype=np.uint8)
for _value, _char in enumerate(_CROCKFORD):
    _DECODE[ord(_char)] = _value
    _DECODE[ord(_char.lower())] = _value
_HEX = np.full(256, 255, dtype=np.uint8)
for _value, _char in enumerate("0123456789abcdef"):
    _HEX[ord(_char)] = _value
    _HEX[ord(_char.upper())] = _value

FNV_OFFSET_32 = np.uint32(0x811C9DC5)
FNV_PRIME_32 = np.uint32(0x01000193)


class EncodingError(ValueError):
    """A context id or user id that Home Assistant could not store."""


def _fixed_width(values: pa.Array | pa.ChunkedArray, width: int, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Non-null strings of ``values`` as an ``(n_valid, width)`` uint8 matrix, and the validity mask."""
    array = pa.chunked_array([values]) if isinstance(values, pa.Array) else values
    array = array.combine_chunks() if array.num_chunks != 1 else array.chunk(0)
    array = array.cast(pa.large_string())
    valid = np.asarray(array.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    present = array.filter(pa.array(valid))
    lengths = pc.utf8_length(present).to_numpy(zero_copy_only=False) if len(present) else np.empty(0, np.int64)
    if len(lengths) and (lengths != width).any():
        bad = present[int(np.flatnonzero(lengths != width)[0])].as_py()
        raise EncodingError(f"{what} must be {width} characters, got {bad!r}")
    data = np.frombuffer(present.buffers()[2], dtype=np.uint8) if len(present) else np.empty(0, np.uint8)
    offsets = np.frombuffer(present.buffers()[1], dtype=np.int64)[present.offset:present.offset + len(present) + 1]
    start = int(offsets[0]) if len(offsets) else 0
    matrix = data[start:start + width * len(present)].reshape(len(present), width)
    return matrix, valid


def _as_binary(rows: np.ndarray, valid: np.ndarray) -> pa.Array:
    """``(n_valid, 16)`` bytes placed at the valid positions of a nullable ``binary`` array."""
    flat = np.ascontiguousarray(rows, dtype=np.uint8).reshape(-1)
    offsets = np.zeros(len(valid) + 1, dtype=np.int32)
    offsets[1:] = np.cumsum(np.where(valid, rows.shape[1] if rows.ndim == 2 else 16, 0))
    validity = pa.array(valid).buffers()[1] if not valid.all() else None
    return pa.Array.from_buffers(pa.binary(), len(valid), [validity, pa.py_buffer(offsets), pa.py_buffer(flat)],
                                 null_count=int((~valid).sum()))


def ulid_bytes(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """26-character ULIDs -> 16 bytes each (nulls stay null), as the recorder's ``*_bin`` columns."""
    chars, valid = _fixed_width(values, 26, "a ULID context id")
    digits = _DECODE[chars]
    if (digits == 255).any() or (len(digits) and (digits[:, 0] > 7).any()):
        raise EncodingError("a context id is not a ULID (Crockford base32, first character 0-7)")
    # 26 base-32 digits, most significant first: bits 125..0. Fold them into two 64-bit halves.
    d = digits.astype(np.uint64)
    high = np.zeros(len(d), dtype=np.uint64)
    low = np.zeros(len(d), dtype=np.uint64)
    for position in range(26):
        shift = 5 * (25 - position)
        column = d[:, position]
        if shift >= 64:
            high |= column << np.uint64(shift - 64)
        else:
            low |= column << np.uint64(shift)
            if shift > 59:
                high |= column >> np.uint64(64 - shift)
    out = np.empty((len(d), 16), dtype=np.uint8)
    out[:, :8] = high.astype(">u8").view(np.uint8).reshape(-1, 8)
    out[:, 8:] = low.astype(">u8").view(np.uint8).reshape(-1, 8)
    return _as_binary(out, valid)


def ulid_time_prefix(epoch_ms: np.ndarray) -> pa.Array:
    """The 10-character time part of a ULID (48-bit milliseconds since the epoch, Crockford base32, most
    significant first), as ``ulid_transform`` writes it."""
    ms = np.asarray(epoch_ms, dtype=np.int64)
    if len(ms) and ((ms < 0).any() or (ms >= 1 << 48).any()):
        raise EncodingError("a ULID's time must be 0 .. 2**48 - 1 milliseconds")
    shifts = np.arange(45, -5, -5, dtype=np.int64)          # 10 digits of 5 bits
    digits = (ms[:, None] >> shifts[None, :]) & 31
    alphabet = np.frombuffer(_CROCKFORD.encode(), dtype=np.uint8)
    chars = np.ascontiguousarray(alphabet[digits], dtype=np.uint8)
    return pa.array(chars.view("S10").ravel(), pa.binary()).cast(pa.string())


def uuid_hex_bytes(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """32-hex-digit ids -> their 16 bytes (nulls stay null), as ``context_user_id_bin``."""
    chars, valid = _fixed_width(values, 32, "a user id")
    nibbles = _HEX[chars]
    if (nibbles == 255).any():
        raise EncodingError("a user id is not 32 hexadecimal digits")
    return _as_binary((nibbles[:, 0::2] << 4) | nibbles[:, 1::2], valid)


def fnv1a_32(texts: list[str] | pa.Array) -> np.ndarray:
    """FNV-1a (32 bit) of each string's UTF-8 bytes, vectorised over the strings, byte position by position."""
    array = pa.array(texts, type=pa.large_string()) if not isinstance(texts, pa.Array) else texts.cast(
        pa.large_string())
    n = len(array)
    if n == 0:
        return np.empty(0, dtype=np.uint32)
    if array.null_count:
        raise EncodingError("shared attributes must not be null")
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[array.offset:array.offset + n + 1]
    data = np.frombuffer(array.buffers()[2], dtype=np.uint8)
    lengths = np.diff(offsets)
    h = np.full(n, FNV_OFFSET_32, dtype=np.uint32)
    order = np.argsort(-lengths, kind="stable")  # longest first: the live rows are always a prefix
    starts, lengths_sorted = offsets[:-1][order], lengths[order]
    live = n
    with np.errstate(over="ignore"):
        for position in range(int(lengths.max())):
            while live and lengths_sorted[live - 1] <= position:
                live -= 1
            rows = order[:live]
            h[rows] = (h[rows] ^ data[starts[:live] + position].astype(np.uint32)) * FNV_PRIME_32
    return h


def compact_json(value: object) -> str:
    """JSON as Home Assistant's ``json_bytes`` writes it: compact separators, UTF-8 kept, insertion order."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
