"""The pure content generators: totals, admin, uniqueness, FK timing, jobs, statuses, determinism."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from pydantic import ValidationError

from synth_assets.content.generation_jobs import generate_jobs
from synth_assets.content.items import generate_content
from synth_assets.content.models import (
    ADMIN_ITEMS_PER_TABLE,
    COMPLETED_SHARE,
    OTHER_STATUS_SHARES,
    TIMEZONE,
    ContentConfig,
)
from synth_assets.content.timeline import eastern_day_bounds
from synth_assets.content.users import generate_users

CONFIG = ContentConfig(seed=5, users=2_000, content_items=3_000, content_items_auto=1_500)


def test_configured_totals_are_exact():
    assert generate_users(CONFIG).frame.height == 2_000
    assert generate_content(CONFIG, "content_items").frame.height == 3_000
    assert generate_content(CONFIG, "content_items_auto").frame.height == 1_500
    jobs = generate_jobs(CONFIG)
    assert jobs.height == CONFIG.generation_jobs == 3_000 + CONFIG.other_jobs


@pytest.mark.parametrize("table", ["content_items", "content_items_auto"])
def test_admin_owns_exactly_fifty_and_creators_existed_before(table):
    users = generate_users(CONFIG).frame
    items = generate_content(CONFIG, table).frame
    assert items.filter(pl.col("creator_id") == str(CONFIG.admin_user_id)).height == ADMIN_ITEMS_PER_TABLE
    joined = items.join(users.select(pl.col("id").alias("creator_id"), pl.col("created_at").alias("user_created")),
                        on="creator_id", how="left")
    assert joined["user_created"].null_count() == 0
    assert (joined["user_created"] < joined["created_at"]).all()


def test_timestamps_are_inside_the_eastern_range():
    low, high = eastern_day_bounds(CONFIG.start)[0], eastern_day_bounds(CONFIG.end)[1]
    for frame in (generate_users(CONFIG).frame, generate_content(CONFIG, "content_items").frame):
        assert frame["created_at"].min() >= low and frame["created_at"].max() < high
        assert (frame["updated_at"] >= frame["created_at"]).all() and frame["updated_at"].max() < high
        assert frame["created_at"].dtype == pl.Datetime("us", "UTC")
    local = generate_content(CONFIG, "content_items").frame["created_at"].dt.convert_time_zone(TIMEZONE)
    assert local.dt.date().min() >= CONFIG.start and local.dt.date().max() <= CONFIG.end


def test_every_item_has_one_completed_job_with_its_prompt_creator_and_time():
    items = generate_content(CONFIG, "content_items").frame
    jobs = generate_jobs(CONFIG)
    done = jobs.filter(pl.col("status") == "completed")
    assert done.height == items.height and done["content_id"].n_unique() == items.height
    pairs = done.join(items, left_on="content_id", right_on="id", suffix="_item")
    assert pairs.height == items.height
    assert (pairs["prompt"] == pairs["prompt_item"]).all()
    assert (pairs["user_id"] == pairs["creator_id"]).all()
    assert (pairs["completed_at"] == pairs["created_at_item"]).all()
    assert ((pairs["created_at"] <= pairs["started_at"]) & (pairs["started_at"] <= pairs["completed_at"])).all()
    same_day = pairs.select(a=pl.col("created_at").dt.convert_time_zone(TIMEZONE).dt.date(),
                            b=pl.col("completed_at").dt.convert_time_zone(TIMEZONE).dt.date())
    assert (same_day["a"] == same_day["b"]).all()  # job and item land in the same daily partition


def test_status_shares_and_error_messages():
    jobs = generate_jobs(ContentConfig(seed=1))  # the seed's default size
    counts = dict(jobs.group_by("status").len().iter_rows())
    assert abs(counts["completed"] / jobs.height - COMPLETED_SHARE) <= 0.005
    assert set(counts) == {"completed", *OTHER_STATUS_SHARES}
    failed = jobs.filter(pl.col("status") == "failed")
    assert failed["error_message"].null_count() == 0
    assert jobs.filter(pl.col("status") != "failed")["error_message"].null_count() == jobs.height - failed.height
    assert jobs.filter(pl.col("status") == "pending")["started_at"].null_count() == counts["pending"]


def test_usernames_and_emails_unique_at_a_million_users():
    users = generate_users(ContentConfig(seed=3, users=1_000_000, content_items=0, content_items_auto=0))
    frame = users.frame
    assert frame.height == 1_000_000
    assert frame["username"].n_unique() == frame.height and frame["email"].n_unique() == frame.height
    assert users.collisions_resolved > 0  # at this volume names do collide, and were renumbered
    assert frame["username"].str.contains(r"^[a-z0-9._]+$").all()


def test_same_config_same_data_other_seed_other_data():
    again = ContentConfig(**{**CONFIG.model_dump(), "seed": 5})
    other = ContentConfig(**{**CONFIG.model_dump(), "seed": 6})
    generate_content.cache_clear(), generate_users.cache_clear()
    first = generate_content(CONFIG, "content_items").frame
    generate_content.cache_clear(), generate_users.cache_clear()
    assert generate_content(again, "content_items").frame.equals(first)
    assert not generate_content(other, "content_items").frame.equals(first)


@pytest.mark.parametrize("kwargs, message", [
    ({"users": -1}, "greater than or equal to 1"),
    ({"content_items": 10}, "admin user alone owns 50"),
    ({"start": date(2025, 9, 1), "end": date(2025, 8, 1)}, "is before start"),
    ({"tag_pool_size": 5}, "greater than or equal to 200"),
])
def test_invalid_config_is_refused_with_the_reason(kwargs, message):
    with pytest.raises(ValidationError, match=message):
        ContentConfig(**kwargs)
