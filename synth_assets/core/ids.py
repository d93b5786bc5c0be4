"""Version-4 UUID strings from random bytes, vectorised (no per-row Python)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_DASHES_AFTER = (8, 12, 16, 20)  # hex digits before each dash of 8-4-4-4-12


def uuid4_from_bytes(raw: np.ndarray, name: str = "id") -> pl.Series:
    """Canonical UUID strings from an (n, 16) uint8 array of random bytes (version/variant bits set)."""
    raw = np.array(raw, dtype=np.uint8, copy=True).reshape(-1, 16)
    n = len(raw)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    digits = _HEX[np.stack([raw >> 4, raw & 0x0F], axis=-1).reshape(n, 32)]
    text = np.insert(digits, _DASHES_AFTER, ord("-"), axis=1)  # (n, 36) ASCII bytes
    offsets = np.arange(0, 36 * (n + 1), 36, dtype=np.int32)
    array = pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(text)))
    return pl.Series(name, array)
