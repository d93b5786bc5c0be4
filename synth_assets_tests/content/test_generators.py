"""The pure content generators: totals, admin, uniqueness, FK timing, jobs, statuses, determinism."""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest
from pydantic import ValidationError

from synth_assets.content.generation_jobs import generate_jobs
from synth_assets.content.items import generate_content
from synth_assets.content.job_settings import SETTINGS_FIELDS
from synth_assets.content.models import (
    ADMIN_ITEMS_PER_TABLE,
    COMPLETED_SHARE,
    CONTENT_TABLES,
    ITEM_REFERENCE,
    OTHER_STATUS_SHARES,
    TIMEZONE,
    ContentConfig,
    jobs_for_completed,
)
from synth_assets.content.timeline import eastern_day_bounds
from synth_assets.content.users import generate_users

CONFIG = ContentConfig(seed=5, users=2_000, content_items=3_000, content_items_auto=1_500)


def test_configured_totals_are_exact():
    assert generate_users(CONFIG).frame.height == 2_000
    assert generate_content(CONFIG, "content_items").frame.height == 3_000
    assert generate_content(CONFIG, "content_items_auto").frame.height == 1_500
    jobs = generate_jobs(CONFIG)
    assert jobs.height == CONFIG.generation_jobs
    assert jobs.filter(pl.col("status") == "completed").height == 4_500 == CONFIG.completed_jobs


@pytest.mark.parametrize("completed", [1, 49, 50, 120, 4_500, 1_000_000, 2_000_000, 12_345_678])
def test_completed_share_is_the_nearest_to_98_percent(completed):
    total = jobs_for_completed(completed)

    def miss(jobs: int) -> float:
        return abs(completed / jobs - COMPLETED_SHARE)

    assert total >= completed and miss(total) <= miss(total + 1)
    assert total - 1 < completed or miss(total) <= miss(total - 1)
    assert jobs_for_completed(0) == 0


def test_jobs_cover_the_items_of_both_tables():
    config = ContentConfig(users=10, content_items=120, content_items_auto=80)
    assert config.completed_jobs == 200 and config.generation_jobs == jobs_for_completed(200) == 204


@pytest.mark.parametrize("table", CONTENT_TABLES)
def test_admin_owns_exactly_fifty_and_creators_existed_before(table):
    users = generate_users(CONFIG).frame
    items = generate_content(CONFIG, table).frame
    assert items.filter(pl.col("creator_id") == str(CONFIG.admin_user_id)).height == ADMIN_ITEMS_PER_TABLE
    joined = items.join(users.select(pl.col("id").alias("creator_id"), pl.col("created_at").alias("user_created")),
                        on="creator_id", how="left")
    assert joined["user_created"].null_count() == 0
    assert (joined["user_created"] < joined["created_at"]).all()
    assert joined["creator_id"].n_unique() > 500  # many creators, not a handful


def test_timestamps_are_inside_the_eastern_range():
    low, high = eastern_day_bounds(CONFIG.start)[0], eastern_day_bounds(CONFIG.end)[1]
    for frame in (generate_users(CONFIG).frame, generate_content(CONFIG, "content_items").frame):
        assert frame["created_at"].min() >= low and frame["created_at"].max() < high
        assert (frame["updated_at"] >= frame["created_at"]).all() and frame["updated_at"].max() < high
        assert frame["created_at"].dtype == pl.Datetime("us", "UTC")
    local = generate_content(CONFIG, "content_items").frame["created_at"].dt.convert_time_zone(TIMEZONE)
    assert local.dt.date().min() >= CONFIG.start and local.dt.date().max() <= CONFIG.end


@pytest.mark.parametrize("table", CONTENT_TABLES)
def test_every_item_of_both_tables_has_one_completed_job_with_its_prompt_settings_creator_and_time(table):
    items = generate_content(CONFIG, table).frame
    jobs = generate_jobs(CONFIG)
    reference = ITEM_REFERENCE[table]
    done = jobs.filter(pl.col(reference).is_not_null())
    assert (done["status"] == "completed").all() and done[reference].n_unique() == items.height == done.height
    pairs = done.join(items, left_on=reference, right_on="id", suffix="_item")
    assert pairs.height == items.height
    assert (pairs["prompt"] == pairs["prompt_item"]).all()
    assert (pairs["parameters"] == pairs["item_metadata"]).all()
    assert (pairs["user_id"] == pairs["creator_id"]).all()
    assert (pairs["completed_at"] == pairs["created_at_item"]).all()
    assert ((pairs["created_at"] <= pairs["started_at"]) & (pairs["started_at"] <= pairs["completed_at"])).all()
    same_day = pairs.select(a=pl.col("created_at").dt.convert_time_zone(TIMEZONE).dt.date(),
                            b=pl.col("completed_at").dt.convert_time_zone(TIMEZONE).dt.date())
    assert (same_day["a"] == same_day["b"]).all()  # job and item land in the same daily partition


def test_a_completed_job_references_exactly_one_item_and_other_jobs_none():
    jobs = generate_jobs(CONFIG)
    set_count = jobs["content_id"].is_not_null().cast(pl.Int8) + jobs["auto_content_id"].is_not_null().cast(pl.Int8)
    assert ((jobs["status"] == "completed") == (set_count == 1)).all() and (set_count <= 1).all()


def test_every_job_and_item_carries_settings_of_one_json_shape():
    jobs = generate_jobs(CONFIG)
    items = generate_content(CONFIG, "content_items_auto").frame
    shapes = {tuple(json.loads(text)) for text in [*jobs["parameters"].to_list(), *items["item_metadata"].to_list()]}
    assert shapes == {SETTINGS_FIELDS}
    other = jobs.filter(pl.col("status") != "completed")
    decoded = [json.loads(text) for text in other["parameters"].to_list()]
    assert all(isinstance(d["seed"], int) and d["domain"] for d in decoded)
    prompts_domain = {json.loads(p)["domain"] for p in items["item_metadata"].to_list()}
    assert len(prompts_domain) > 20  # the item's prompt domain is its settings' domain, all domains occur


def test_status_shares_and_error_messages():
    jobs = generate_jobs(ContentConfig(seed=1))  # the seed's default size
    counts = dict(jobs.group_by("status").len().iter_rows())
    config = ContentConfig(seed=1)
    assert counts["completed"] == config.completed_jobs and jobs.height == config.generation_jobs
    assert set(counts) == {"completed", *OTHER_STATUS_SHARES}
    for status, share in OTHER_STATUS_SHARES.items():  # 408 other jobs: each share within 8 points
        assert abs(counts[status] / config.other_jobs - share) < 0.08, (status, counts)
    failed = jobs.filter(pl.col("status") == "failed")
    assert failed["error_message"].null_count() == 0
    assert jobs.filter(pl.col("status") != "failed")["error_message"].null_count() == jobs.height - failed.height
    assert jobs.filter(pl.col("status") == "pending")["started_at"].null_count() == counts["pending"]


def test_usernames_and_emails_unique_at_a_million_users():
    users = generate_users(ContentConfig(seed=3, users=1_000_000, content_items=0, content_items_auto=0))
    frame = users.frame
    assert frame.height == 1_000_000
    assert frame["username"].n_unique() == frame.height and frame["email"].n_unique() == frame.height
    assert 0 < users.numbered < frame.height // 4  # at this volume some names need a numeral, most do not
    assert frame["username"].str.contains(r"^[a-z0-9._]+$").all()
    assert frame.filter(pl.col("username") == "admin")["id"].to_list() == [str(ContentConfig().admin_user_id)]


def test_users_do_not_change_when_item_counts_change():
    other_items = ContentConfig(**{**CONFIG.model_dump(), "content_items": 9_000, "content_items_auto": 0})
    assert generate_users(other_items).frame.equals(generate_users(CONFIG).frame)


@pytest.mark.parametrize("table", ["users", *CONTENT_TABLES, "generation_jobs"])
def test_a_window_is_its_days_one_after_the_other(table):
    """Generating days 10..14 at once equals generating each of them alone (any order), row for row."""
    def frame(first: date, last: date) -> pl.DataFrame:
        if table == "users":
            return generate_users(CONFIG, first, last).frame
        if table == "generation_jobs":
            return generate_jobs(CONFIG, first, last)
        return generate_content(CONFIG, table, first, last).frame

    days = [date(2025, 5, d) for d in range(10, 15)]
    alone = {day: frame(day, day) for day in reversed(days)}
    together = frame(days[0], days[-1])
    assert together.height > 0 and together.equals(pl.concat([alone[day] for day in days]))
    whole = frame(CONFIG.start, CONFIG.end)
    assert whole.filter(pl.col("id").is_in(together["id"].implode())).equals(together)


@pytest.mark.parametrize("first, last", [(None, None), (date(2025, 6, 1), date(2025, 6, 3))])
def test_jobs_built_from_items_at_hand_equal_jobs_that_recompute_them(first, last):
    """The seed hands the items it just generated to the jobs; a partition alone recomputes them."""
    items = {table: generate_content(CONFIG, table, first, last).frame for table in CONTENT_TABLES}
    assert generate_jobs(CONFIG, first, last, items=items).equals(generate_jobs(CONFIG, first, last))
    with pytest.raises(ValueError, match="rows given"):
        generate_jobs(CONFIG, first, last, items={**items, "content_items": items["content_items"].head(3)})


def test_same_config_same_data_other_seed_other_data():
    again = ContentConfig(**{**CONFIG.model_dump(), "seed": 5})
    other = ContentConfig(**{**CONFIG.model_dump(), "seed": 6})
    first = generate_content(CONFIG, "content_items").frame
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
