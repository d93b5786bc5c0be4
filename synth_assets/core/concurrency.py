"""Overlap producing the next chunk with consuming the current one.

numpy, polars and pyarrow release the GIL in their kernels, so generating chunk i+1 in a worker
thread while chunk i is checked and written uses both cores of a laptop without a process pool.
The output is identical: only the timing changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


def prefetch(iterator: Iterator[T]) -> Iterator[T]:
    """Yield the items of ``iterator`` while the next one is being computed in a worker thread."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="prefetch") as pool:
        pending = pool.submit(next, iterator, _DONE)
        while True:
            item = pending.result()
            if item is _DONE:
                return
            pending = pool.submit(next, iterator, _DONE)
            yield item
