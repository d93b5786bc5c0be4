"""synth_assets.core.rng: stable keys, positionable Philox blocks and the distribution helpers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from synth_assets.core import rng

ROOT = Path(__file__).resolve().parents[2]
KEYS = [("air_quality", "hourly", 5128581), ("air_quality", 1), ("x",), (1,), ("1",)]


def _in_subprocess(hash_seed: str) -> dict:
    """stable_ints of KEYS and hash() of a string, computed in a fresh interpreter."""
    code = (
        "import json, sys\n"
        "from synth_assets.core.rng import stable_ints\n"
        f"keys = {KEYS!r}\n"
        "print(json.dumps({'ints': [stable_ints(*k) for k in keys], 'hash': hash('air_quality')}))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True, timeout=60)
    return json.loads(out.stdout)


def test_stable_ints_are_identical_in_processes_with_different_hash_salts():
    first, second = _in_subprocess("1"), _in_subprocess("2")
    # the two interpreters really are salted differently, so a hash()-based key would differ ...
    assert first["hash"] != second["hash"]
    # ... but stable_ints agrees across both of them and with this process
    here = [rng.stable_ints(*k) for k in KEYS]
    assert first["ints"] == second["ints"] == here


def test_stable_ints_shape_and_range():
    ints = rng.stable_ints("air_quality", 42)
    assert len(ints) == 4
    assert all(isinstance(i, int) and 0 <= i < 2**32 for i in ints)


@pytest.mark.parametrize("a, b", [
    ((1,), ("1",)),                      # same text, different type
    ((1,), (1.0,)),
    ((1,), (True,)),
    (("a", "b"), ("b", "a")),           # order matters
    (("a", "b"), ("ab",)),              # parts are separated
    (("a",), ("a", "")),
    (("air_quality", 1), ("air_quality", 2)),
    (("hourly", 7), ("daily", 7)),
])
def test_stable_ints_differ_for_different_keys(a, b):
    assert rng.stable_ints(*a) != rng.stable_ints(*b)


def test_rng_for_is_reproducible_and_keyed():
    draws = rng.rng_for(3, "k", 1).random(8)
    np.testing.assert_array_equal(draws, rng.rng_for(3, "k", 1).random(8))
    assert not np.array_equal(draws, rng.rng_for(4, "k", 1).random(8))
    assert not np.array_equal(draws, rng.rng_for(3, "k", 2).random(8))
    assert not np.array_equal(draws, rng.rng_for(3, "k", "1").random(8))


@pytest.mark.parametrize("words_per_block", [4, 12, 288])
@pytest.mark.parametrize("first, n", [(0, 1), (0, 5), (1, 3), (7, 10), (365, 31), (1826, 2)])
def test_raw_blocks_read_together_equal_blocks_read_one_by_one(first, n, words_per_block):
    keys = ("air_quality", "hourly", 5128581)
    together = rng.raw_blocks(11, keys, first, n, words_per_block)
    assert together.shape == (n, words_per_block)
    assert together.dtype == np.uint64
    one_by_one = np.vstack([rng.raw_blocks(11, keys, first + i, 1, words_per_block) for i in range(n)])
    np.testing.assert_array_equal(together, one_by_one)


@pytest.mark.parametrize("first", [0, 1, 5, 40])
def test_raw_block_b_is_the_bth_slice_of_the_plain_philox_stream(first):
    # independent of Philox.advance: read the stream from its start and cut the block out
    keys, words = ("k", 9), 8
    stream = np.random.Philox(rng.seed_sequence(5, *keys)).random_raw((first + 2) * words)
    expected = stream.reshape(first + 2, words)[first:]
    np.testing.assert_array_equal(rng.raw_blocks(5, keys, first, 2, words), expected)


def test_raw_blocks_differ_by_seed_key_and_position():
    base = rng.raw_blocks(1, ("a",), 0, 4, 12)
    assert not np.array_equal(base, rng.raw_blocks(2, ("a",), 0, 4, 12))
    assert not np.array_equal(base, rng.raw_blocks(1, ("b",), 0, 4, 12))
    # blocks of one stream are not repeats of each other
    assert len({row.tobytes() for row in base}) == 4
    # no shared words at all between two seeds (collisions of 64-bit words are ~impossible)
    assert not np.intersect1d(base, rng.raw_blocks(2, ("a",), 0, 4, 12)).size


@pytest.mark.parametrize("words_per_block", [1, 2, 3, 5, 6, 10])
def test_raw_blocks_refuses_words_per_block_not_multiple_of_four(words_per_block):
    with pytest.raises(ValueError, match="multiple of 4"):
        rng.raw_blocks(0, ("a",), 0, 1, words_per_block)


@pytest.mark.parametrize("first, n", [(-1, 1), (0, -1), (-5, -5)])
def test_raw_blocks_refuses_negative_positions(first, n):
    with pytest.raises(ValueError, match="non-negative"):
        rng.raw_blocks(0, ("a",), first, n, 4)


def test_to_uniform_is_strictly_inside_unit_interval():
    words = np.concatenate([
        np.array([0, 1, 2**11 - 1, 2**11, 2**63, 2**64 - 2**12, 2**64 - 2**11 - 1], dtype=np.uint64),
        rng.raw_blocks(0, ("u",), 0, 1, 100_000).ravel(),
    ])
    u = rng.to_uniform(words)
    assert u.dtype == np.float64
    assert (u > 0).all() and (u < 1).all()
    # order preserving: the map is a monotone function of the word
    order = np.argsort(words, kind="stable")
    assert (np.diff(u[order]) >= 0).all()
    # and uniform: mean 1/2, variance 1/12 (tolerance: 5 standard errors)
    sample = u[7:]
    n = sample.size
    assert abs(sample.mean() - 0.5) < 5 * np.sqrt(1 / 12 / n)
    assert abs(sample.var() - 1 / 12) < 5 * np.sqrt(1 / 180 / n)  # var of (U-1/2)^2 is 1/180


@pytest.mark.parametrize("word", [2**64 - 1, 2**64 - 2**11])
def test_to_uniform_of_largest_words_is_below_one(word):
    assert rng.to_uniform(np.array([word], dtype=np.uint64))[0] < 1.0


def test_to_uniform_of_zero_is_positive():
    assert rng.to_uniform(np.array([0], dtype=np.uint64))[0] > 0.0


def test_box_muller_gives_standard_normals():
    n_pairs = 100_000
    u = rng.to_uniform(rng.raw_blocks(2, ("bm",), 0, n_pairs // 4, 8)).reshape(n_pairs, 2)
    z = rng.box_muller(u[:, :1], u[:, 1:])
    assert z.shape == (n_pairs, 2)  # twice as long on the last axis
    z = z.ravel()
    n = z.size
    assert abs(z.mean()) < 5 / np.sqrt(n)                 # SE of the mean: 1/sqrt(n)
    assert abs(z.std() - 1.0) < 5 / np.sqrt(2 * n)        # SE of the sd: 1/sqrt(2n)
    inside = np.mean(np.abs(z) < 1.959964)
    assert abs(inside - 0.95) < 5 * np.sqrt(0.95 * 0.05 / n)
    # the cosine and sine halves are independent
    halves = rng.box_muller(u[:, :1], u[:, 1:])
    assert abs(np.corrcoef(halves[:, 0], halves[:, 1])[0, 1]) < 5 / np.sqrt(n_pairs)


def test_box_muller_keeps_leading_axes():
    u1 = np.full((3, 5, 4), 0.25)
    u2 = np.full((3, 5, 4), 0.125)
    z = rng.box_muller(u1, u2)
    assert z.shape == (3, 5, 8)
    radius = np.sqrt(-2 * np.log(0.25))
    np.testing.assert_allclose(z[..., :4], radius * np.cos(2 * np.pi * 0.125))
    np.testing.assert_allclose(z[..., 4:], radius * np.sin(2 * np.pi * 0.125))


def test_gamma_integer_shape_has_gamma_moments():
    shape, scale, n = 3, 2.0, 200_000
    u = rng.to_uniform(rng.raw_blocks(4, ("gamma",), 0, n * shape // 4, 4)).reshape(n, shape)
    g = rng.gamma_integer_shape(u, scale)
    assert g.shape == (n,)
    assert (g > 0).all()
    mean, var = shape * scale, shape * scale**2                      # 6 and 12
    assert abs(g.mean() - mean) < 5 * np.sqrt(var / n)
    fourth_moment = (3 + 6 / shape) * var**2                            # kurtosis 3 + 6/k
    assert abs(g.var() - var) < 5 * np.sqrt((fourth_moment - var**2) / n)


def test_gamma_with_shape_one_is_exponential():
    u = np.array([[np.exp(-1.0)], [np.exp(-0.5)]])
    np.testing.assert_allclose(rng.gamma_integer_shape(u, 2.0), [2.0, 1.0])


@pytest.mark.parametrize("seed", [-1, -2**40])
def test_negative_seeds_are_refused(seed):
    with pytest.raises(ValueError, match=str(seed)):
        rng.seed_sequence(seed, "a")
    with pytest.raises(ValueError):
        rng.rng_for(seed, "a")
    with pytest.raises(ValueError):
        rng.raw_blocks(seed, ("a",), 0, 1, 4)


def test_seed_sequence_entropy_carries_the_seed_and_the_key_digest():
    seq = rng.seed_sequence(7, "a", 1)
    assert list(seq.entropy) == [7, *rng.stable_ints("a", 1)]
