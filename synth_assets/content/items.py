"""content_items and content_items_auto: a day's items from streams keyed by (table, day).

An item's creator is drawn, by global index, among the users that exist at the item's creation time:
every user of the earlier days (the allocation says how many) and the users of the same day created
before it (that day's creation times, :func:`synth_assets.content.users.user_times`). The users table
itself is never generated for it. The admin's items are the global indices the allocation chose.

What the completed job of an item needs (time, creator, prompt, settings) is :func:`item_basics`, so
generation_jobs can recompute it for any day without the rest of the item (tags, scores).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from synth_assets.content import timeline
from synth_assets.content.allocation import Allocation, allocate_content, concat_days, days_in_window, row_ids
from synth_assets.content.job_settings import draw_settings, settings_json
from synth_assets.content.models import CONTENT_TABLES, ContentConfig
from synth_assets.content.prompts import assemble_prompts, draw_prompts
from synth_assets.content.tags import assemble_tags, draw_tags
from synth_assets.content.users import user_times
from synth_assets.core.rng import rng_for

PRIVATE_SHARE = 0.12
CREATOR_SKEW = 1.6  # > 1: long-standing users create more
QUALITY_BETA = (5.0, 2.0)
UPDATED_AFTER_MEAN_SECONDS = 2 * 86400
COLUMNS = ["id", "title", "content_type", "content_data", "prompt", "item_metadata", "creator_id", "tags",
           "quality_score", "is_private", "created_at", "updated_at"]  # models.content_items order


@dataclass(frozen=True)
class ContentTable:
    frame: pl.DataFrame          # the table's columns, in load order
    prompt_stats: pl.DataFrame   # domain, general_phrases, domain_phrases per row (for checks)


def check_table(table: str) -> None:
    if table not in CONTENT_TABLES:
        raise ValueError(f"unknown content table {table!r}; valid: {', '.join(CONTENT_TABLES)}")


def _creators(config: ContentConfig, allocation: Allocation, table: str, day_index: int, index: np.ndarray,
              created: np.ndarray, same_day_users: np.ndarray) -> np.ndarray:
    """Global user index of each item's creator: a user other than the admin created before the item
    (older users more likely), or the admin for the admin's items."""
    day = allocation.days[day_index]
    existing = allocation.users.offsets[day_index] + np.searchsorted(same_day_users, created, side="left")
    others = np.maximum(existing - 1, 1)  # users other than the admin (index 0) that exist by then
    u = rng_for(config.seed, "content", table, day, "creator").random(index.size)
    creator = 1 + np.floor(others * u ** CREATOR_SKEW).astype(np.int64)
    creator[np.isin(index, allocation.admin_items[table])] = 0
    return creator


def item_basics(config: ContentConfig, table: str, day_index: int) -> dict[str, np.ndarray]:
    """Global index, creation time, creator (global user index) and the creator's creation time when the
    creator joined the same day (else -1) of a day's items: the columns a completed job shares."""
    check_table(table)
    allocation = allocate_content(config)
    day = allocation.days[day_index]
    index = allocation.items[table].indices(day_index)
    created = timeline.eastern_times_of_day(rng_for(config.seed, "content", table, day, "created_at"), day,
                                            index.size)
    same_day_users = user_times(config, day_index)
    if day_index == allocation.first_user_day:  # nobody but the admin exists before the first user
        first_user = same_day_users[1 if day_index == 0 else 0]
        created = np.maximum(created, first_user + 1)
    creator = _creators(config, allocation, table, day_index, index, created, same_day_users)
    local = creator - allocation.users.offsets[day_index]
    creator_created = np.where(local >= 0, same_day_users[np.clip(local, 0, max(same_day_users.size - 1, 0))], -1) \
        if same_day_users.size else np.full(index.size, -1)
    return {"index": index, "created_at": created, "creator": creator, "creator_created_at": creator_created}


def item_choices(config: ContentConfig, table: str, day_index: int) -> tuple[dict, dict]:
    """The prompt and settings draws of a day's items (the item's and its completed job's)."""
    allocation = allocate_content(config)
    day, n = allocation.days[day_index], int(allocation.items[table].counts[day_index])
    prompts = draw_prompts(rng_for(config.seed, "content", table, day, "prompts"), n, config.domains)
    settings = draw_settings(rng_for(config.seed, "content", table, day, "settings"), n)
    return prompts, settings


def _extras(config: ContentConfig, table: str, day_index: int) -> dict[str, np.ndarray]:
    allocation = allocate_content(config)
    day, n = allocation.days[day_index], int(allocation.items[table].counts[day_index])
    rng = rng_for(config.seed, "content", table, day)
    tags = draw_tags(rng_for(config.seed, "content", table, day, "tags"), n, config.tag_pool_size)
    return {"tag_count": tags["count"], "tag": tags["tag"],
            "quality_score": np.round(rng.beta(*QUALITY_BETA, n), 3),
            "is_private": rng.random(n) < PRIVATE_SHARE,
            "updated_after": timeline.seconds_us(rng.exponential(UPDATED_AFTER_MEAN_SECONDS, n))}


def window_day_indices(config: ContentConfig, first: date | None, last: date | None) -> list[int]:
    """Positions in the configured range of the days ``first``..``last`` (default: every day)."""
    allocation = allocate_content(config)
    return [allocation.day_index(d) for d in days_in_window(config, first or config.start, last or config.end)]


def generate_content(config: ContentConfig, table: str, first: date | None = None,
                     last: date | None = None) -> ContentTable:
    """The items of ``table`` created on the Eastern days ``first``..``last`` (default: the whole range).

    Day by day the draws are numpy arrays from the day's own streams; the strings are assembled once for
    the window, row by row, so a window's rows are exactly its days' rows one after the other."""
    check_table(table)
    codes = window_day_indices(config, first, last)
    table_rows = _assemble(config, table, codes or [0])
    if not codes:  # a window outside the range: no rows, same columns
        return ContentTable(frame=table_rows.frame.clear(), prompt_stats=table_rows.prompt_stats.clear())
    return table_rows


def _assemble(config: ContentConfig, table: str, codes: list[int]) -> ContentTable:
    allocation = allocate_content(config)
    basics = concat_days([item_basics(config, table, c) for c in codes])
    choices = [item_choices(config, table, c) for c in codes]
    prompts = assemble_prompts(concat_days([p for p, _ in choices]))
    extras = concat_days([_extras(config, table, c) for c in codes])
    ids = row_ids(config, table, basics["index"])
    days, counts = [allocation.days[c] for c in codes], allocation.items[table].counts[codes]
    frame = pl.DataFrame({
        "id": ids,
        "title": prompts["title"],
        "content_type": pl.repeat("image", ids.len(), dtype=pl.String, eager=True),
        "content_data": f"/data/images/{table}/" + timeline.local_year_month(days, counts) + ids + ".png",
        "prompt": prompts["prompt"],
        "item_metadata": settings_json(concat_days([s for _, s in choices]), prompts["domain"]),
        "creator_id": row_ids(config, "users", basics["creator"]),
        "tags": assemble_tags({"count": extras["tag_count"], "tag": extras["tag"]}, config.tag_pool_size),
        "quality_score": extras["quality_score"],
        "is_private": extras["is_private"],
        "created_at": timeline.utc_series(basics["created_at"], "created_at"),
        "updated_at": timeline.utc_series(np.minimum(basics["created_at"] + extras["updated_after"],
                                                     timeline.last_instant_us(config.end)), "updated_at"),
    })
    return ContentTable(frame=frame.select(COLUMNS),
                        prompt_stats=prompts.select("domain", "general_phrases", "domain_phrases"))
