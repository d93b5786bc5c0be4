"""The per-row way to count co-occurring state changes, for the pattern bench's ratio.

What a first Python version of the pattern service does: walk the changes in time order, and for each
change look ahead within the lag, remembering per (A, B) pair how often B followed and after how long.
It counts what :func:`synth_assets.smart_home.patterns.co_occurrence.occurrences` and ``pair_statistics``
count (support and the lags), nothing else: the vectorised miner does more per change than this does.
"""

from __future__ import annotations

from collections import defaultdict


def naive_pair_counts(changes: list[tuple[str, int, str, str]], max_lag_us: int) -> dict:
    """``changes``: (home_id, t_us, entity_id, item) in (home, t) order -> {(home, item_a, item_b): lags}."""
    lags: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    n = len(changes)
    for i in range(n):
        home, t, entity, item = changes[i]
        seen = set()
        j = i + 1
        while j < n and changes[j][0] == home and changes[j][1] - t <= max_lag_us:
            _, t_b, entity_b, item_b = changes[j]
            if entity_b != entity and item_b not in seen:
                seen.add(item_b)
                lags[(home, item, item_b)].append(t_b - t)
            j += 1
    return lags
