"""Home Assistant context ids, vectorised: ULIDs of 26 Crockford base-32 characters.

Home Assistant makes every ``Context.id`` with ``homeassistant.util.ulid.ulid_at_time`` (home-assistant/core,
``homeassistant/util/ulid.py``, which re-exports ``ulid_transform``): 48 bits of milliseconds since the
Unix epoch, then 80 random bits, written as 10 + 16 characters of Crockford's base-32 alphabet in upper
case. Here the 80 bits come from counter-based words (``core.rng.index_words``: 64 bits of the row's
word and 16 of a word shared by four rows), so an id is a pure function of (seed, keys, index) and its
event's time. Pure numpy: no Dagster.
"""

from __future__ import annotations

import numpy as np

from synth_assets.core.rng import index_words

CROCKFORD = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ULID_LENGTH = 26
TIME_CHARS = 10
_ALPHABET = np.frombuffer(CROCKFORD, dtype=np.uint8)
_RANDOM_HALF_BITS = 40


_PAIRS = (_ALPHABET[np.arange(1024) >> 5].astype(np.uint16) | (_ALPHABET[np.arange(1024) & 31].astype(np.uint16) << 8))
"""Two characters per 10-bit value, as a little-endian uint16 (first character in the low byte)."""


def _base32(values: np.ndarray, n_chars: int) -> np.ndarray:
    """``(n, n_chars)`` character codes of the lowest ``5 * n_chars`` bits of each uint64, most significant
    first (``n_chars`` even): ten bits at a time through a table of character pairs."""
    out = np.empty((len(values), n_chars // 2), dtype=np.uint16)
    for j in range(n_chars // 2):
        shift = np.uint64(10 * (n_chars // 2 - 1 - j))
        out[:, j] = _PAIRS[((values >> shift) & np.uint64(1023)).view(np.int64)]
    return out.view(np.uint8)


def ulids(milliseconds: np.ndarray, seed: int, keys: tuple[object, ...], index: np.ndarray) -> np.ndarray:
    """One ULID per row as a numpy ``S26`` array: time part from ``milliseconds`` (int64, Unix epoch),
    random part from the words of ``(seed, *keys)`` at ``index`` (distinct indices give distinct draws)."""
    milliseconds = np.asarray(milliseconds, dtype=np.int64)
    if milliseconds.size and (milliseconds.min() < 0 or milliseconds.max() >= 1 << 48):
        raise ValueError("ULID time must lie in [0, 2**48) milliseconds since the Unix epoch")
    index = np.asarray(index, dtype=np.uint64)
    # 80 random bits: one 64-bit word of the row, and 16 bits of a word shared by four rows
    high = index_words(seed, keys, index, 1)[:, 0]
    shared = index_words(seed, (*keys, "low16"), index >> np.uint64(2), 1)[:, 0]
    low = (shared >> ((index & np.uint64(3)) * np.uint64(16))) & np.uint64(0xFFFF)
    first = high >> np.uint64(64 - _RANDOM_HALF_BITS)
    second = ((high & np.uint64((1 << (64 - _RANDOM_HALF_BITS)) - 1)) << np.uint64(16)) | low
    chars = np.concatenate([
        _base32(milliseconds.astype(np.uint64), TIME_CHARS),
        _base32(first, 8),
        _base32(second, 8),
    ], axis=1)
    return np.ascontiguousarray(chars).view(f"S{ULID_LENGTH}").ravel()


def ulid_milliseconds(ids: list[str]) -> list[int]:
    """The time part of each ULID (for tests and checks; per id, not for hot paths)."""
    lookup = {c: i for i, c in enumerate(CROCKFORD.decode())}
    out = []
    for text in ids:
        value = 0
        for char in text[:TIME_CHARS]:
            value = value * 32 + lookup[char]
        out.append(value)
    return out
