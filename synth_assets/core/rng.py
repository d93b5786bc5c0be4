"""Deterministic random streams derived from stable keys.

Every random number in synth_assets comes from a counter-based Philox stream keyed by
``(seed, *keys)`` through :class:`numpy.random.SeedSequence`. The key parts are turned into integers
with a fixed digest (blake2b), never with ``hash()``, which Python salts per process.

Philox is counter based, so a stream can be positioned at any block in O(1). Generators that draw a
fixed number of 64-bit words per entity and day (see :func:`raw_blocks`) therefore give the same
values for a day whether it is generated alone or inside a five-year range: this is what makes one
run over a range and one run per day produce identical data.
"""

from __future__ import annotations

import hashlib

import numpy as np

_WORDS_PER_PHILOX_STEP = 4  # Philox4x64 yields four 64-bit words per counter increment
_KEY_SEPARATOR = "\x1f"
_UNIT = 2.0**-52
_ONE_BITS = np.uint64(0x3FF0000000000000)  # the bit pattern of 1.0


def stable_ints(*parts: object) -> list[int]:
    """Four 32-bit integers digested from the key parts; identical in every process and machine."""
    text = _KEY_SEPARATOR.join(f"{type(p).__name__}:{len(str(p))}:{p}" for p in parts)
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()
    return [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]


def seed_sequence(seed: int, *keys: object) -> np.random.SeedSequence:
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    return np.random.SeedSequence([seed, *stable_ints(*keys)])


def rng_for(seed: int, *keys: object) -> np.random.Generator:
    """A numpy Generator for the stream ``(seed, *keys)``, for draws whose count may vary."""
    return np.random.Generator(np.random.Philox(seed_sequence(seed, *keys)))


def raw_blocks(seed: int, keys: tuple[object, ...], first_block: int, n_blocks: int,
               words_per_block: int) -> np.ndarray:
    """Raw 64-bit words of blocks ``first_block .. first_block + n_blocks`` of a stream.

    Block ``b`` always holds the same words, however many blocks are read at once, so a block can be
    one day of one entity. Returns an array of shape ``(n_blocks, words_per_block)``.
    """
    if words_per_block % _WORDS_PER_PHILOX_STEP:
        raise ValueError(f"words_per_block must be a multiple of {_WORDS_PER_PHILOX_STEP}")
    if first_block < 0 or n_blocks < 0:
        raise ValueError("block positions must be non-negative")
    bit_generator = np.random.Philox(seed_sequence(seed, *keys))
    bit_generator.advance(first_block * (words_per_block // _WORDS_PER_PHILOX_STEP))
    words = bit_generator.random_raw(n_blocks * words_per_block)
    return words.reshape(n_blocks, words_per_block)


def to_uniform(words: np.ndarray) -> np.ndarray:
    """Map 64-bit words to floats strictly inside (0, 1): the midpoints of 2**52 equal bins."""
    # Put the top 52 bits into the mantissa of a double in [1, 2), then shift by half a bin down:
    # (k + 0.5) * 2**-52 exactly, without a slow integer-to-float conversion.
    bits = words >> np.uint64(12)
    bits |= _ONE_BITS
    doubles = bits.view(np.float64)
    doubles -= 1.0 - _UNIT / 2
    return doubles


def box_muller(u1: np.ndarray, u2: np.ndarray, axis: int = -1) -> np.ndarray:
    """Standard normals from pairs of uniforms: returns an array twice as long along ``axis``."""
    radius = np.sqrt(-2.0 * np.log(u1))
    angle = 2.0 * np.pi * u2
    return np.concatenate([radius * np.cos(angle), radius * np.sin(angle)], axis=axis)


def gamma_integer_shape(uniforms: np.ndarray, scale: float, axis: int = -1) -> np.ndarray:
    """Gamma(k, scale) for integer k = uniforms.shape[axis], as a sum of k exponentials.

    Exact for integer shapes and consumes a fixed number of words, unlike rejection samplers.
    """
    return -scale * np.log(np.prod(uniforms, axis=axis))


# --- values addressed by a global row index -----------------------------------------------------------

_MIX_1, _MIX_2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_FEISTEL_ROUNDS = 6


def _mix64(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: a bijection of uint64 that scrambles every bit (wrapping arithmetic)."""
    z = (z ^ (z >> np.uint64(30))) * _MIX_1
    z = (z ^ (z >> np.uint64(27))) * _MIX_2
    return z ^ (z >> np.uint64(31))


def index_words(seed: int, keys: tuple[object, ...], index: np.ndarray, n_words: int) -> np.ndarray:
    """``n_words`` random 64-bit words per global row index, shape ``(len(index), n_words)``.

    Counter based like :func:`raw_blocks`, but for any set of indices at once: row ``i`` gets the same
    words whichever other rows are asked for, so a table's row can be derived wherever it is needed
    (an id referenced by a child table) without generating the table.
    """
    key = seed_sequence(seed, *keys).generate_state(2, np.uint64)
    counter = np.asarray(index, dtype=np.uint64)[:, None] * np.uint64(n_words) + np.arange(n_words, dtype=np.uint64)
    with np.errstate(over="ignore"):
        return _mix64(_mix64(counter + key[0]) ^ key[1])


def permute_index(seed: int, keys: tuple[object, ...], index: np.ndarray, size: int) -> np.ndarray:
    """A keyed bijection of ``range(size)`` applied to ``index``: distinct indices stay distinct.

    A balanced Feistel network on the smallest even number of bits that holds ``size``, walked
    again while a value falls outside ``range(size)`` (cycle walking), all vectorised.
    """
    index = np.asarray(index, dtype=np.uint64)
    if size <= 1:
        return index.copy()
    half = max(1, (int(size - 1).bit_length() + 1) // 2)
    mask = np.uint64((1 << half) - 1)
    round_keys = seed_sequence(seed, *keys).generate_state(_FEISTEL_ROUNDS, np.uint64)

    def feistel(x: np.ndarray) -> np.ndarray:
        left, right = x >> np.uint64(half), x & mask
        for key in round_keys:
            left, right = right, left ^ (_mix64(right ^ key) & mask)
        return (left << np.uint64(half)) | right

    with np.errstate(over="ignore"):
        out = feistel(index)
        outside = np.flatnonzero(out >= np.uint64(size))
        while outside.size:
            out[outside] = feistel(out[outside])
            outside = outside[out[outside] >= np.uint64(size)]
    return out
