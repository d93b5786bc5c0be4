"""Content tags: a deterministic tag pool built from the prompt vocabulary, and skewed tag lists per item.

The pool is ordered by intended popularity: the domain labels and general phrases first, then the words
of every domain (round robin over domains), then adjective-noun pairs. Tag ``r`` (0-based) is drawn with
weight ``1 / (r + 1) ** ZIPF_EXPONENT``, so a few tags are very common. Tags per item follow a lognormal
count (median ~6, mean ~10) floored and clipped to 0..200, so most items have a handful of tags and a few
have the maximum. Tags within an item are distinct: they are the first distinct values of a Zipf stream
(duplicates redrawn, vectorised), and the rare items still short after a few rounds are completed with
Gumbel top-k over the unused tags, which continues the same draw without replacement.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import polars as pl
import pyarrow as pa

from synth_assets.content.models import TAGS_PER_ITEM
from synth_assets.content.vocabulary import DOMAIN_VOCABULARIES, GENERAL_PHRASES

ZIPF_EXPONENT = 1.0
TAG_COUNT_MEDIAN = 6.0
TAG_COUNT_SIGMA = 1.0
MAX_TAG_CHARS = 64
TAG_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
REJECTION_ROUNDS = 12
GUMBEL_WEIGHT_SHARE = 0.7  # items whose tag count spans more of the Zipf weight skip the redraw rounds
GUMBEL_CELLS_PER_CHUNK = 4_000_000  # rows x pool cells per Gumbel top-k chunk


def slug(text: str) -> str:
    """ "Children's book" -> "childrens-book": lowercase ASCII letters and digits joined by single hyphens."""
    return "-".join(re.findall(r"[a-z0-9]+", text.lower().replace("'", "")))


def _round_robin(lists: list[tuple[str, ...]]) -> list[str]:
    return [items[i] for i in range(max(map(len, lists))) for items in lists if i < len(items)]


def _headline_and_word_tags() -> list[str]:
    """Domain labels, general phrases, then each domain's subjects, elements, styles and traits."""
    domains = list(DOMAIN_VOCABULARIES.values())
    words = [_round_robin([getattr(d, name) for d in domains])
             for name in ("subjects", "elements", "style_phrases", "subject_traits", "element_traits")]
    return [d.label for d in domains] + list(GENERAL_PHRASES) + [
        w for group in words for w in group]


def _pair_tags() -> pl.Series:
    """Every adjective-noun pair, enumerated so that consecutive pairs change both words."""
    domains = DOMAIN_VOCABULARIES.values()
    adjectives = list(dict.fromkeys(slug(w) for d in domains for w in d.subject_traits + d.element_traits))
    nouns = list(dict.fromkeys(slug(w) for d in domains for w in d.subjects + d.elements))
    k = np.arange(len(adjectives) * len(nouns), dtype=np.int64)
    adjective, noun = k % len(adjectives), (k // len(adjectives) + 7 * (k % len(adjectives))) % len(nouns)
    pairs = pl.DataFrame({"adjective": pl.Series(adjectives).gather(adjective),
                          "noun": pl.Series(nouns).gather(noun)})
    return pairs.select(tag=pl.concat_str("adjective", "noun", separator="-"))["tag"]


@lru_cache(maxsize=1)
def _all_tags() -> pl.Series:
    words = pl.Series([slug(w) for w in _headline_and_word_tags()], dtype=pl.String)
    tags = pl.concat([words, _pair_tags()]).unique(maintain_order=True)
    return tags.filter((tags.str.len_chars() <= MAX_TAG_CHARS) & tags.str.contains(TAG_PATTERN.pattern))


def max_pool_size() -> int:
    return len(_all_tags())


@lru_cache(maxsize=8)
def _pool_series(size: int) -> pl.Series:
    if not 1 <= size <= max_pool_size():
        raise ValueError(f"tag pool size must be in 1..{max_pool_size()}, got {size}")
    return _all_tags().head(size).alias("tag")


def tag_pool(size: int) -> list[str]:
    """The ``size`` most popular tags, most popular first; no randomness, same list for every size prefix."""
    return _pool_series(size).to_list()


@lru_cache(maxsize=8)
def _zipf_cdf(size: int) -> np.ndarray:
    weights = 1.0 / np.arange(1, size + 1, dtype=np.float64) ** ZIPF_EXPONENT
    cdf = np.cumsum(weights) / weights.sum()
    cdf[-1] = 1.0
    return cdf


@lru_cache(maxsize=8)
def _zipf_guide(size: int) -> np.ndarray:
    """Guide table: entry b is the first rank whose cdf exceeds b / len(guide)."""
    return np.searchsorted(_zipf_cdf(size), np.arange(4 * size) / (4 * size), side="right")


def _zipf_ranks(rng: np.random.Generator, count: int, size: int) -> np.ndarray:
    """Zipf ranks by inversion: the smallest rank whose cdf exceeds u (guide table, then a few steps)."""
    cdf, guide = _zipf_cdf(size), _zipf_guide(size)
    u = rng.random(count)
    rank = guide[(u * guide.size).astype(np.int64)]
    behind = np.flatnonzero(cdf[rank] <= u)
    while behind.size:  # a handful of steps: a guide bucket spans few ranks
        rank[behind] += 1
        behind = behind[cdf[rank[behind]] <= u[behind]]
    return rank.astype(np.int32)


def _row_positions(rows: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Flat positions of every tag of the given rows (rows ascending)."""
    lengths = offsets[rows + 1] - offsets[rows]
    starts = np.repeat(offsets[rows] - np.cumsum(lengths) + lengths, lengths)
    return starts + np.arange(lengths.sum())


def _rows_of(positions: np.ndarray, row: np.ndarray) -> np.ndarray:
    """The distinct rows of ascending positions, ascending."""
    rows = row[positions]
    return rows[np.concatenate(([True], rows[1:] != rows[:-1]))] if rows.size else rows


def _duplicate_positions(tag: np.ndarray, row: np.ndarray, positions: np.ndarray, pool_size: int) -> np.ndarray:
    """The positions (ascending input) holding a tag already held at an earlier position of the same row."""
    keys = row[positions].astype(np.int64) * pool_size + tag[positions]
    order = np.argsort(keys, kind="stable")          # keeps equal keys in position order: first one first
    ordered = keys[order]
    return np.sort(positions[order[1:][ordered[1:] == ordered[:-1]]])


def _gumbel_fill(rng: np.random.Generator, tag: np.ndarray, row: np.ndarray, fill_positions: np.ndarray,
                 offsets: np.ndarray, pool_size: int) -> None:
    """Redraw ``tag`` at ``fill_positions`` (ascending) with Gumbel top-k over each row's unused tags.

    Gumbel top-k with log weights is weighted sampling without replacement, so filling the positions a
    row still lacks continues that row's draw exactly. Rows go in chunks to bound the (rows, pool) matrix.
    """
    log_weight = -ZIPF_EXPONENT * np.log(np.arange(1, pool_size + 1, dtype=np.float64))
    to_fill = np.zeros(tag.size, dtype=bool)
    to_fill[fill_positions] = True
    rows = _rows_of(fill_positions, row)
    chunk = max(1, GUMBEL_CELLS_PER_CHUNK // pool_size)
    for start in range(0, rows.size, chunk):  # a loop over memory-bounded chunks of rows, not over rows
        part = rows[start:start + chunk]
        positions = _row_positions(part, offsets)
        local_row = np.repeat(np.arange(part.size), offsets[part + 1] - offsets[part])
        kept = ~to_fill[positions]
        scores = log_weight - np.log(-np.log(rng.random((part.size, pool_size))))
        scores[local_row[kept], tag[positions[kept]]] = -np.inf
        missing = np.bincount(local_row[~kept], minlength=part.size)
        width = int(missing.max())
        best = np.argpartition(-scores, width - 1, axis=1)[:, :width]
        by_score = np.argsort(-np.take_along_axis(scores, best, axis=1), axis=1, kind="stable")
        best = np.take_along_axis(best, by_score, axis=1)
        tag[positions[~kept]] = best[np.arange(width) < missing[:, None]]


def tag_counts(rng: np.random.Generator, n: int, pool_size: int) -> np.ndarray:
    """Tags per item: floor of a lognormal, clipped to TAGS_PER_ITEM and to the pool size."""
    counts = np.floor(rng.lognormal(np.log(TAG_COUNT_MEDIAN), TAG_COUNT_SIGMA, n))
    return np.clip(counts, TAGS_PER_ITEM[0], min(TAGS_PER_ITEM[1], pool_size)).astype(np.int64)


def draw_tags(rng: np.random.Generator, n: int, pool_size: int) -> dict[str, np.ndarray]:
    """Tags of ``n`` items as numpy arrays: ``count`` per item and the flat pool ranks ``tag``, row by row.

    :func:`assemble_tags` turns them into lists of strings; draws of several days concatenate key by key.
    """
    _pool_series(pool_size)  # validates the size
    counts = tag_counts(rng, n, pool_size)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    row = np.repeat(np.arange(n, dtype=np.int32), counts)
    tag = _zipf_ranks(rng, row.size, pool_size)
    # rows whose count covers most of the Zipf weight would need many redraws: fill them by Gumbel top-k
    heavy = np.zeros(n, dtype=bool)
    heavy[counts > 0] = _zipf_cdf(pool_size)[counts[counts > 0] - 1] > GUMBEL_WEIGHT_SHARE
    light_rows = np.flatnonzero(~heavy & (counts > 0))
    duplicates = _duplicate_positions(tag, row, _row_positions(light_rows, offsets), pool_size)
    for _ in range(REJECTION_ROUNDS):
        if duplicates.size == 0:
            break
        tag[duplicates] = _zipf_ranks(rng, duplicates.size, pool_size)
        duplicates = _duplicate_positions(tag, row, _row_positions(_rows_of(duplicates, row), offsets),
                                          pool_size)
    fill = np.sort(np.concatenate([_row_positions(np.flatnonzero(heavy), offsets), duplicates]))
    if fill.size:
        _gumbel_fill(rng, tag, row, fill, offsets, pool_size)
    return {"count": counts, "tag": tag}


def assemble_tags(draws: dict[str, np.ndarray], pool_size: int) -> pl.Series:
    """The ``tags`` column (lists of strings) from :func:`draw_tags`."""
    offsets = np.zeros(draws["count"].size + 1, dtype=np.int64)
    np.cumsum(draws["count"], out=offsets[1:])
    values = _pool_series(pool_size).gather(draws["tag"]).to_arrow()
    lists = pa.LargeListArray.from_arrays(pa.array(offsets, pa.int64()), values)
    return pl.Series("tags", lists, dtype=pl.List(pl.String))


def build_tags(rng: np.random.Generator, n: int, pool_size: int) -> pl.Series:
    """``n`` lists of distinct tags from ``tag_pool(pool_size)``, Zipf-popular, 0-200 tags each."""
    return assemble_tags(draw_tags(rng, n, pool_size), pool_size)
