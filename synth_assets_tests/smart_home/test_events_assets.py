"""The events and correlations assets through Dagster: every check passes on generated data, a missing
context partition names its command, a range run equals per-day runs byte for byte, re-materializing
gives the same bytes, and adding homes leaves the existing homes' events and rules identical."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import date

import dagster as dg
import duckdb
import polars as pl
import pytest

from synth_assets.smart_home import assets as home_assets
from synth_assets.smart_home import layout, views
from synth_assets.smart_home.context import assets as context_assets
from synth_assets.smart_home.events import assets
from synth_assets.smart_home.events.checks import EVENT_CHECKS
from synth_assets.smart_home.settings import SmartHomeSettings
from synth_assets_tests.conftest import make_resources, make_settings, sha256_tree

SEED = 11
ALL = [*home_assets.DIMENSION_ASSETS, *context_assets.CONTEXT_ASSETS, *assets.EVENT_ASSETS]
DIMENSIONS = list(home_assets.KEYS.values())
CONTEXT = [context_assets.KEYS[t] for t in assets.CONTEXT_TABLES]


def _resources(root, homes: int):
    settings = make_settings(root / "data", seed=SEED)
    return settings, {**make_resources(settings), "smart_home": SmartHomeSettings(homes=homes)}


def _range_tags(first: str, last: str) -> dict[str, str]:
    return {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}


def _build(root, instance, homes: int, first: str, last: str, events_per_day: bool = False):
    settings, resources = _resources(root, homes)
    built = dg.materialize(ALL, selection=[*DIMENSIONS, assets.CORRELATIONS], resources=resources, instance=instance)
    rule_checks = {e.check_name: e.passed for e in built.get_asset_check_evaluations()
                   if e.asset_key == assets.CORRELATIONS}
    assert rule_checks and all(rule_checks.values()), rule_checks
    dg.materialize(ALL, selection=CONTEXT, resources=resources, instance=instance, tags=_range_tags(first, last))
    if events_per_day:
        days = pl.date_range(date.fromisoformat(first), date.fromisoformat(last), eager=True).to_list()
        return settings, [dg.materialize(ALL, selection=[assets.EVENTS], resources=resources, instance=instance,
                                         partition_key=d.isoformat()) for d in days]
    return settings, [dg.materialize(ALL, selection=[assets.EVENTS], resources=resources, instance=instance,
                                     tags=_range_tags(first, last))]


def test_events_and_rules_pass_every_check_and_are_viewed(tmp_path, instance):
    settings, (result,) = _build(tmp_path, instance, homes=12, first="2023-06-09", last="2023-06-11")
    assert result.success
    outcomes = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert set(outcomes) == {c.name for c in EVENT_CHECKS}
    assert all(e.passed for e in outcomes.values()), {k: e.metadata for k, e in outcomes.items() if not e.passed}
    measured = outcomes["planted_rules_measured_back"].metadata
    assert measured["measurable"].value >= 10 and measured["measured_back"].value == measured["measurable"].value
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        per_home_day = con.execute("select min(n), max(n) from (select home_id, cast(timestamp as date) d, count(*) n "
                                   "from smart_home.events group by all)").fetchone()
        rules = con.execute("select count(*), count(distinct home_id) from smart_home.correlations").fetchone()
        caused = con.execute("select count(*) from smart_home.events where context_parent_id is not null").fetchone()
    assert per_home_day[0] > 0 and rules[0] >= 12 and rules[1] == 12 and caused[0] > 0
    for day in ("2023-06-09", "2023-06-10", "2023-06-11"):
        assert layout.daily_path(settings.data_path, "events", date.fromisoformat(day)).exists()


def test_a_missing_context_partition_names_the_table_day_and_command(tmp_path, instance):
    settings, resources = _resources(tmp_path, homes=3)
    dg.materialize(ALL, selection=[*DIMENSIONS, assets.CORRELATIONS], resources=resources, instance=instance)
    dg.materialize(ALL, selection=[k for k in CONTEXT if k != context_assets.KEYS["weather"]], resources=resources,
                   instance=instance, partition_key="2023-02-01")
    with pytest.raises(assets.MissingContextPartitionError) as error:
        dg.materialize(ALL, selection=[assets.EVENTS], resources=resources, instance=instance,
                       partition_key="2023-02-01")
    message = str(error.value)
    assert "smart_home.weather" in message and "2023-02-01" in message
    assert ("dagster asset materialize -m synth_assets.definitions --select smart_home/weather "
            "--partition 2023-02-01") in message
    assert not layout.daily_path(settings.data_path, "events", date(2023, 2, 1)).exists()


@pytest.mark.parametrize("table", ["calendar", "weather"])
def test_a_range_with_one_missing_context_day_writes_no_day(tmp_path, instance, table):
    """Review M1: the last day's context is missing; the run stops before any day's events are written."""
    settings, resources = _resources(tmp_path, homes=3)
    dg.materialize(ALL, selection=[*DIMENSIONS, assets.CORRELATIONS], resources=resources, instance=instance)
    dg.materialize(ALL, selection=CONTEXT, resources=resources, instance=instance,
                   tags=_range_tags("2023-02-01", "2023-02-03"))
    layout.daily_path(settings.data_path, table, date(2023, 2, 3)).unlink()
    with pytest.raises(assets.MissingContextPartitionError, match=f"smart_home.{table} has no partition 2023-02-03"):
        dg.materialize(ALL, selection=[assets.EVENTS], resources=resources, instance=instance,
                       tags=_range_tags("2023-02-01", "2023-02-03"))
    assert not layout.daily_dir(settings.data_path, "events").exists() or not any(
        layout.daily_dir(settings.data_path, "events").rglob("*.parquet"))


def test_range_run_equals_per_day_runs_and_rematerializing_gives_the_same_bytes(tmp_path, instance):
    ranged, _ = _build(tmp_path / "range", instance, homes=5, first="2022-10-29", last="2022-10-31")
    daily, _ = _build(tmp_path / "daily", instance, homes=5, first="2022-10-29", last="2022-10-31",
                      events_per_day=True)
    first = sha256_tree(layout.daily_dir(ranged.data_path, "events"))
    assert len(first) == 3
    assert first == sha256_tree(layout.daily_dir(daily.data_path, "events"))
    _, resources = _resources(tmp_path / "range", homes=5)
    dg.materialize(ALL, selection=[assets.EVENTS], resources=resources, instance=instance,
                   partition_key="2022-10-30")
    assert sha256_tree(layout.daily_dir(ranged.data_path, "events")) == first


def test_adding_homes_leaves_existing_homes_events_and_rules_identical(tmp_path, instance):
    small, _ = _build(tmp_path / "small", instance, homes=4, first="2024-03-31", last="2024-03-31")
    large, _ = _build(tmp_path / "large", instance, homes=9, first="2024-03-31", last="2024-03-31")

    def read(settings, table):
        path = (layout.daily_path(settings.data_path, table, date(2024, 3, 31)) if table == "events"
                else layout.table_path(settings.data_path, table))
        return pl.read_parquet(path)

    for table in ("events", "correlations"):
        before, after = read(small, table), read(large, table)
        kept = after.filter(pl.col("home_id").is_in(before["home_id"].unique().implode()))
        assert before.height > 0 and after.height > before.height
        assert kept.equals(before), table


def test_the_check_across_midnight_reads_the_day_before_from_its_file(tmp_path, instance):
    """A day run alone compares its first on/off writes with the day before's file: it passes on the
    generated file and fails when that file holds other last states (here: the next day's own)."""
    settings, resources = _resources(tmp_path, homes=4)
    _build(tmp_path, instance, homes=4, first="2023-03-03", last="2023-03-04", events_per_day=True)

    def alternate(partition: str):
        result = dg.materialize(ALL, selection=[assets.EVENTS], resources=resources, instance=instance,
                                partition_key=partition, raise_on_error=False)
        return next(e for e in result.get_asset_check_evaluations() if e.check_name == "binary_states_alternate")

    passed = alternate("2023-03-04")
    assert passed.passed and passed.metadata["violations/repeated_across_midnight"].value == 0
    before = layout.daily_path(settings.data_path, "events", date(2023, 3, 3))
    before.write_bytes(layout.daily_path(settings.data_path, "events", date(2023, 3, 4)).read_bytes())
    failed = alternate("2023-03-04")
    assert not failed.passed and failed.metadata["violations/repeated_across_midnight"].value > 10


def _holder(settings) -> subprocess.Popen:
    """Another process with the DuckDB file open for writing until its stdin is closed."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
                               "sys.stdin.read()", str(settings.duckdb_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_events_hold_no_duckdb_pool_and_wait_for_a_writer_elsewhere_only_to_make_their_view(tmp_path, instance):
    """multi_run chunks of events run side by side: none holds the duckdb pool for its whole chunk, and a
    chunk that finds the DuckDB file held by another process (another chunk making its view) waits for it."""
    assert assets.events.op.pool is None
    settings, resources = _resources(tmp_path, homes=3)
    dg.materialize(ALL, selection=[*DIMENSIONS, assets.CORRELATIONS], resources=resources, instance=instance)
    dg.materialize(ALL, selection=CONTEXT, resources=resources, instance=instance, partition_key="2023-02-01")
    holder = _holder(settings)
    day_file = layout.daily_path(settings.data_path, "events", date(2023, 2, 1))
    released = []

    def release_after_the_day_is_written() -> None:   # the view comes right after the day's file
        deadline = time.monotonic() + 120
        while not day_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(2.0)
        released.append(time.monotonic())
        holder.communicate(input="", timeout=30)

    releaser = threading.Thread(target=release_after_the_day_is_written)
    try:
        releaser.start()
        result = dg.materialize(ALL, selection=[assets.EVENTS], resources=resources, instance=instance,
                                partition_key="2023-02-01")
        ended = time.monotonic()
    finally:
        releaser.join(timeout=150)
    assert result.success and released and ended > released[0]   # it waited for the holder, then made its view
    assert result.asset_materializations_for_node("smart_home__events")[0].metadata["duckdb_view"].value == (
        f"smart_home.events in {settings.duckdb_path}")
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        assert con.execute("select count(distinct home_id) from smart_home.events").fetchone() == (3,)


def test_events_held_out_of_the_duckdb_file_too_long_are_still_written_and_say_why_the_view_is_old(
        tmp_path, instance, monkeypatch):
    """A writer that keeps the DuckDB file longer than the view waits (a big content load) does not fail the
    chunk: its day files are written and checked, and the run says its view was not remade."""
    monkeypatch.setattr(views, "VIEW_WAIT_SECONDS", 0.5)
    settings, resources = _resources(tmp_path, homes=3)
    dg.materialize(ALL, selection=[*DIMENSIONS, assets.CORRELATIONS], resources=resources, instance=instance)
    dg.materialize(ALL, selection=CONTEXT, resources=resources, instance=instance, partition_key="2023-02-02")
    holder = _holder(settings)
    try:
        result = dg.materialize(ALL, selection=[assets.EVENTS], resources=resources, instance=instance,
                                partition_key="2023-02-02")
    finally:
        holder.communicate(input="", timeout=30)
    assert result.success
    said = result.asset_materializations_for_node("smart_home__events")[0].metadata["duckdb_view"].value
    assert said.startswith("the view smart_home.events was not remade") and "held by another process" in said
    assert layout.daily_path(settings.data_path, "events", date(2023, 2, 2)).exists()
