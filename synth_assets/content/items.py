"""content_items and content_items_auto: prompts, tags, creators who already exist, admin's 50.

For ``content_items`` the job timeline is drawn here too: an item is created the moment its job
completes, and the job was created and started earlier on the same US-Eastern day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

import numpy as np
import polars as pl

from synth_assets.content import timeline
from synth_assets.content.models import ADMIN_ITEMS_PER_TABLE, TIMEZONE, ContentConfig
from synth_assets.content.prompts import build_prompts
from synth_assets.content.tags import build_tags
from synth_assets.content.users import generate_users, pick
from synth_assets.core.rng import rng_for

CONTENT_TABLES = ("content_items", "content_items_auto")
IMAGE_SIZES = ("512x512", "768x768", "1024x1024", "1024x768", "768x1024", "1216x832", "832x1216")
MODELS = ("sdxl-1.0", "sd-1.5", "flux-dev", "playground-v2.5", "sd-3-medium")
SAMPLERS = ("euler_a", "dpm++_2m_karras", "ddim", "dpm++_sde", "lcm")
PRIVATE_SHARE = 0.12
CREATOR_SKEW = 1.6  # > 1: long-standing users create more
JOB_MEDIAN_SECONDS, JOB_SIGMA = 14.0, 0.6
QUEUE_MEAN_SECONDS = 6.0


@dataclass(frozen=True)
class ContentTable:
    frame: pl.DataFrame          # the table's columns, in load order
    prompt_stats: pl.DataFrame   # domain, general_phrases, domain_phrases per row (for checks)
    job_times: pl.DataFrame      # job_created_at, job_started_at per row (content_items only, else empty)


def _creators(rng: np.random.Generator, users: pl.DataFrame, created: pl.Series, n_admin: int) -> pl.Series:
    """A user created before the item for every row; ``n_admin`` random rows belong to the admin."""
    available = timeline.existing_before(users["created_at"], created)
    others = np.maximum(available - 1, 1)  # users other than the admin (row 0) that exist by then
    index = 1 + np.floor(others * rng.random(len(created)) ** CREATOR_SKEW).astype(np.int64)
    index[rng.choice(len(created), n_admin, replace=False)] = 0
    return users["id"].gather(index).alias("creator_id")


@lru_cache(maxsize=8)
def generate_content(config: ContentConfig, table: str) -> ContentTable:
    if table not in CONTENT_TABLES:
        raise ValueError(f"unknown content table {table!r}; valid: {', '.join(CONTENT_TABLES)}")
    n = getattr(config, table)
    users = generate_users(config).frame
    rng = rng_for(config.seed, "content", table)
    days = timeline.days_of(config.start, config.end)
    created = timeline.eastern_times(rng, days, timeline.allocate(n, timeline.day_weights(days)))
    first_other_user = users["created_at"][1] if users.height > 1 else users["created_at"][0]
    created = pl.select(pl.max_horizontal(created, pl.lit(first_other_user) + pl.duration(seconds=1))).to_series()
    created = created.alias("created_at")
    prompts = build_prompts(rng_for(config.seed, "content", table, "prompts"), n, config.domains)
    ids = timeline.uuid4_strings(rng, n)
    size = pick(IMAGE_SIZES, rng, n)
    frame = pl.DataFrame({
        "id": ids,
        "title": prompts["title"],
        "prompt": prompts["prompt"],
        "size": size, "model": pick(MODELS, rng, n, p=[0.4, 0.2, 0.2, 0.1, 0.1]),
        "steps": rng.integers(20, 51, n), "cfg_scale": np.round(rng.uniform(4.0, 12.0, n), 1),
        "sampler": pick(SAMPLERS, rng, n), "image_seed": rng.integers(0, 2**32, n, dtype=np.int64),
        "domain": prompts["domain"],
        "creator_id": _creators(rng, users, created, min(ADMIN_ITEMS_PER_TABLE, n)),
        "tags": build_tags(rng_for(config.seed, "content", table, "tags"), n, config.tag_pool_size),
        "quality_score": np.round(rng.beta(5.0, 2.0, n), 3),
        "is_private": rng.random(n) < PRIVATE_SHARE,
        "created_at": created,
        "updated_after": timeline.seconds(rng.exponential(2 * 86400, n)),
    })
    frame = frame.with_columns(
        content_type=pl.lit("image"),
        content_data=pl.concat_str([pl.lit(f"/data/images/{table}/"),
                                    pl.col("created_at").dt.convert_time_zone(TIMEZONE).dt.strftime("%Y/%m/"),
                                    pl.col("id"), pl.lit(".png")]),
        width=pl.col("size").str.split("x").list.first().cast(pl.Int32),
        height=pl.col("size").str.split("x").list.last().cast(pl.Int32),
        updated_at=pl.min_horizontal(pl.col("created_at") + pl.col("updated_after"),
                                     pl.lit(timeline.last_instant(config.end))),
    ).with_columns(item_metadata=pl.struct("width", "height", "model", "steps", "cfg_scale", "sampler",
                                           "image_seed", "domain").struct.json_encode())
    job_times = pl.DataFrame()
    if table == "content_items":
        creator_created = frame.select("creator_id").join(
            users.select(pl.col("id").alias("creator_id"), "created_at"), on="creator_id", how="left",
            maintain_order="left")["created_at"]
        job_times = _job_times(rng, created, creator_created)
    columns = ["id", "title", "content_type", "content_data", "prompt", "item_metadata", "creator_id", "tags",
               "quality_score", "is_private", "created_at", "updated_at"]  # models.content_items order
    return ContentTable(frame=frame.select(columns),
                        prompt_stats=prompts.select("domain", "general_phrases", "domain_phrases"),
                        job_times=job_times)


def _job_times(rng: np.random.Generator, completed: pl.Series, creator_created: pl.Series) -> pl.DataFrame:
    """Created <= started <= completed, on the Eastern day the job completed, after its user existed."""
    n = len(completed)
    running = JOB_MEDIAN_SECONDS * np.exp(JOB_SIGMA * rng.standard_normal(n))
    queued = rng.exponential(QUEUE_MEAN_SECONDS, n)
    day_start = completed.dt.convert_time_zone(TIMEZONE).dt.truncate("1d").dt.convert_time_zone("UTC")
    room = (completed - day_start).dt.total_microseconds().to_numpy() / 1e6
    scale = np.minimum(1.0, room / (running + queued))  # a job completing just after midnight was quick
    started = completed - timeline.seconds(running * scale)
    created = started - timeline.seconds(queued * scale)
    floor = creator_created + timedelta(microseconds=1)  # a user's job cannot predate the user
    return pl.DataFrame({"job_started_at": started, "job_created_at": created}).with_columns(
        job_created_at=pl.max_horizontal("job_created_at", floor)).with_columns(
        job_started_at=pl.max_horizontal("job_started_at", "job_created_at"))
