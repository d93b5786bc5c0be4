"""The one producer/consumer helper: same items in the same order, produced ahead, errors where asked."""

from __future__ import annotations

import threading
import time

import pytest

from synth_assets.core.concurrency import prefetch, prefetched


def test_items_come_in_order_and_the_next_one_is_made_while_the_current_one_is_used():
    made: list[tuple[int, str]] = []

    def produce():
        for i in range(4):
            made.append((i, threading.current_thread().name))
            yield i

    with prefetched(produce()) as items:
        time.sleep(0.05)
        assert [i for i, _ in made] == [0]  # the first item started when the block was entered
        seen = []
        for item in items:
            seen.append(item)
            deadline = time.monotonic() + 5
            while item < 3 and len(made) < item + 2 and time.monotonic() < deadline:
                time.sleep(0.001)
            assert len(made) == min(item + 2, 4)  # item + 1 is made while item is in use
    assert seen == [0, 1, 2, 3]
    assert all(name.startswith("prefetch") for _, name in made)
    assert list(prefetch(iter(range(1000)))) == list(range(1000))
    assert list(prefetch(iter([]))) == []


def test_an_error_of_the_producer_is_raised_where_its_item_is_asked_for():
    def produce():
        yield "a"
        raise ValueError("broken item")

    got = []
    with pytest.raises(ValueError, match="broken item"), prefetched(produce()) as items:
        for item in items:
            got.append(item)
    assert got == ["a"]


def test_leaving_early_waits_for_the_item_in_progress_and_stops():
    started, finished = [], []

    def produce():
        for i in range(100):
            started.append(i)
            time.sleep(0.02)
            finished.append(i)
            yield i

    with pytest.raises(KeyError), prefetched(produce()) as items:
        for item in items:
            if item == 1:
                raise KeyError(item)
    assert started == finished == [0, 1, 2]  # nothing left running, nothing made past the next item
