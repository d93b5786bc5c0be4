"""Overlap producing the next item with consuming the current one: the project's one producer/consumer.

numpy, polars and pyarrow release the GIL in their kernels (and libpq while it sends), so producing
item i+1 in a worker thread while item i is checked, written or sent uses both cores of a laptop
without a process pool. The output is identical: only the timing changes. Used for the hourly
chunks of air quality, the tables of `synth seed` and the CSV blocks of a PostgreSQL COPY.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


@contextmanager
def prefetched(iterator: Iterator[T]) -> Iterator[Iterator[T]]:
    """The items of ``iterator``, each computed in a worker thread while the previous one is used.

    The first item starts at once, when the block is entered (so it overlaps whatever the caller does
    before iterating). Leaving the block early waits for the item in progress, then stops. An
    exception raised by ``iterator`` is raised where its item is asked for.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="prefetch") as pool:
        pending = pool.submit(next, iterator, _DONE)

        def items() -> Iterator[T]:
            nonlocal pending
            while True:
                item = pending.result()
                if item is _DONE:
                    return
                pending = pool.submit(next, iterator, _DONE)
                yield item

        yield items()


def prefetch(iterator: Iterator[T]) -> Iterator[T]:
    """Yield the items of ``iterator`` while the next one is being computed in a worker thread."""
    with prefetched(iterator) as items:
        yield from items
