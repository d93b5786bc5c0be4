"""Version-4 UUID strings from random bytes, vectorised (no per-row Python)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

# byte -> its two lowercase hex digits as one little-endian uint16 (first digit in the low byte)
_HEX_PAIR = np.array([int.from_bytes(f"{b:02x}".encode(), "little") for b in range(256)], dtype="<u2")
_GROUPS = ((0, 4), (4, 6), (6, 8), (8, 10), (10, 16))  # bytes of 8-4-4-4-12: each group's hex digits, then "-"


def uuid4_from_bytes(raw: np.ndarray, name: str = "id") -> pl.Series:
    """Canonical UUID strings from an (n, 16) uint8 array of random bytes (version/variant bits set)."""
    raw = np.array(raw, dtype=np.uint8, copy=True).reshape(-1, 16)
    n = len(raw)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    digits = _HEX_PAIR[raw].view(np.uint8)  # (n, 32) ASCII hex digits, two per byte, in order
    text = np.empty((n, 36), dtype=np.uint8)
    at = 0
    for first, last in _GROUPS:
        width = 2 * (last - first)
        text[:, at:at + width] = digits[:, 2 * first:2 * last]
        if at + width < 36:
            text[:, at + width] = ord("-")
        at += width + 1
    offsets = np.arange(0, 36 * (n + 1), 36, dtype=np.int32)
    array = pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(text))
    return pl.Series(name, array)
