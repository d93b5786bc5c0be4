"""core/sorting.py gives numpy's own results: the same arrays as np.sort, np.argsort(kind="stable"),
np.unique(return_inverse=True) and np.lexsort, on ties, negative keys, keys too wide to pack and rows
out of time order (the paths that fall back to numpy)."""

from __future__ import annotations

import numpy as np
import pytest

from synth_assets.core.sorting import argsort_stable, dense_ranks, order_by_group_then_time, sort_ints

RNG = np.random.default_rng(7)
CASES = {
    "many ties": RNG.integers(0, 50, 20_000),
    "negative": RNG.integers(-1_000, 1_000, 20_000),
    "wide (no room to pack the positions)": RNG.integers(-(2**62), 2**62, 20_000),
    "int32": RNG.integers(0, 2**31 - 1, 20_000).astype(np.int32),
    "int8 over its whole range": RNG.integers(-128, 128, 20_000).astype(np.int8),
    "uint64 above 2**63": RNG.integers(0, 2**40, 20_000).astype(np.uint64) + np.uint64(2**63),
    "uint64": RNG.integers(0, 2**40, 20_000).astype(np.uint64),
    "sorted already": np.arange(20_000),
    "one": np.array([5]),
    "empty": np.array([], dtype=np.int64),
}


@pytest.mark.parametrize("name", list(CASES))
def test_the_same_arrays_as_numpy(name):
    values = CASES[name]
    sorted_values = sort_ints(values)
    assert sorted_values.dtype == values.dtype
    np.testing.assert_array_equal(sorted_values, np.sort(values))
    np.testing.assert_array_equal(argsort_stable(values), np.argsort(values, kind="stable"))
    np.testing.assert_array_equal(dense_ranks(values), np.unique(values, return_inverse=True)[1].ravel())


def test_group_then_time_in_order_already_and_out_of_order():
    group = RNG.integers(0, 30, 10_000)
    in_order = np.sort(RNG.integers(0, 500, 10_000))  # time order within each group, with equal times
    np.testing.assert_array_equal(order_by_group_then_time(group, in_order), np.lexsort((in_order, group)))
    shuffled = RNG.integers(0, 500, 10_000)           # not: the lexsort fallback
    np.testing.assert_array_equal(order_by_group_then_time(group, shuffled), np.lexsort((shuffled, group)))


def test_floats_are_refused():
    with pytest.raises(TypeError, match="integers"):
        sort_ints(np.array([1.5, 0.5]))
    with pytest.raises(TypeError, match="integers"):
        argsort_stable(np.array([1.5, 0.5]))
