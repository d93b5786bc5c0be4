"""The context assets through Dagster: files per home-local day, DuckDB views, checks, the air-quality
values of the seed, range runs equal to per-day runs, stable bytes and existing homes left alone."""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg
import duckdb
import polars as pl
import pytest

from synth_assets.air_quality.cities import select_cities
from synth_assets.air_quality.measurements import generate_hourly
from synth_assets.core.storage import CorruptFileError
from synth_assets.smart_home import assets as home_assets
from synth_assets.smart_home import layout
from synth_assets.smart_home.context import assets, checks
from synth_assets.smart_home.settings import SmartHomeSettings
from synth_assets_tests.conftest import make_resources, make_settings, sha256_tree

SEED = 7
ALL = [*home_assets.DIMENSION_ASSETS, *assets.CONTEXT_ASSETS]
CONTEXT_KEYS = list(assets.KEYS.values())


def _resources(root, homes: int, seed: int = SEED):
    settings = make_settings(root / "data", seed=seed)
    return settings, {**make_resources(settings), "smart_home": SmartHomeSettings(homes=homes)}


def _run(resources, instance, keys, *, partition_key=None, partition_range=None):
    tags = {}
    if partition_range:
        tags = {"dagster/asset_partition_range_start": partition_range[0],
                "dagster/asset_partition_range_end": partition_range[1]}
    return dg.materialize(ALL, selection=keys, resources=resources, instance=instance,
                          partition_key=partition_key, tags=tags)


def _build(root, instance, homes: int, *, seed: int = SEED, days: tuple[str, str] = ("2021-03-27", "2021-03-29")):
    settings, resources = _resources(root, homes, seed)
    dg.materialize(home_assets.DIMENSION_ASSETS, selection=[home_assets.KEYS["homes"]], resources=resources,
                   instance=instance)
    result = _run(resources, instance, CONTEXT_KEYS, partition_range=days)
    return settings, result


def test_every_context_table_is_written_viewed_and_passes_every_check(tmp_path, instance):
    settings, result = _build(tmp_path, instance, homes=8)
    assert result.success
    outcomes = {(e.asset_key.path[-1], e.check_name): e.passed for e in result.get_asset_check_evaluations()}
    expected = {(table, check.name) for table in checks.TABLES for check in checks.checks_for(table)}
    assert set(outcomes) == expected
    assert all(outcomes.values()), {k: v for k, v in outcomes.items() if not v}
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        counts = {t: con.execute(f"select count(*) from smart_home.{t}").fetchone()[0] for t in checks.TABLES}
        per_home_day = con.execute("select min(n), max(n) from (select home_id, date, count(*) n "
                                   "from smart_home.calendar group by all)").fetchone()
        hours = con.execute("select distinct n from (select home_id, count(*) n from smart_home.weather "
                            "group by home_id)").fetchall()
    assert counts["calendar"] == 8 * 3 and per_home_day == (1, 1)
    assert counts["weather"] == counts["external_data"]
    assert 8 * 3 * 23 <= counts["weather"] <= 8 * 3 * 25 and len(hours) >= 1
    for table in checks.TABLES:
        for day in ("2021-03-27", "2021-03-28", "2021-03-29"):
            assert layout.daily_path(settings.data_path, table, date.fromisoformat(day)).exists()
    carbon_meta = next(e for e in result.get_asset_materialization_events()
                       if e.asset_key == assets.KEYS["carbon_intensity"]).materialization.metadata
    assert "base64" in carbon_meta["mean_daily_profile"].value
    assert carbon_meta["grid_regions"].value >= 1


def test_weather_and_air_quality_views_equal_the_air_quality_generator_of_the_seed(tmp_path, instance):
    settings, _ = _build(tmp_path, instance, homes=6, days=("2022-07-01", "2022-07-01"))
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        rows = pl.from_arrow(con.sql(
            "select w.home_id, w.timestamp, h.city_id, w.temperature_c, w.humidity_pct, w.wind_speed_kmh, "
            "w.is_raining, x.pm25, x.o3 from smart_home.weather w join smart_home.external_data x using "
            "(home_id, timestamp) join smart_home.homes h using (home_id)").to_arrow_table()).with_columns(
            pl.col("timestamp").dt.convert_time_zone("UTC"))
    cities = select_cities("full").filter(pl.col("city_id").is_in(rows["city_id"].implode()))
    truth = pl.from_arrow(generate_hourly(cities, date(2022, 6, 30), date(2022, 7, 3), SEED))
    joined = rows.join(truth, on=["city_id", "timestamp"], suffix="_aq")
    assert joined.height == rows.height == 6 * 24
    for column in ("temperature_c", "humidity_pct", "wind_speed_kmh", "is_raining", "pm25", "o3"):
        assert (joined[column] == joined[f"{column}_aq"]).all(), column


def test_a_range_in_one_run_equals_one_run_per_day_byte_for_byte(tmp_path, instance):
    _build(tmp_path / "range", instance, homes=5, days=("2020-01-01", "2020-01-03"))
    settings, resources = _resources(tmp_path / "daily", 5)
    dg.materialize(home_assets.DIMENSION_ASSETS, selection=[home_assets.KEYS["homes"]], resources=resources,
                   instance=instance)
    for day in ("2020-01-03", "2020-01-01", "2020-01-02"):
        assert _run(resources, instance, CONTEXT_KEYS, partition_key=day).success
    ranged = sha256_tree(tmp_path / "range" / "data" / "smart_home", "*/**/*.parquet")
    daily = sha256_tree(tmp_path / "daily" / "data" / "smart_home", "*/**/*.parquet")
    assert len(ranged) == 3 * len(checks.TABLES) and ranged == daily


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path, instance):
    for name, seed in (("a", SEED), ("b", SEED), ("c", SEED + 1)):
        _build(tmp_path / name, instance, homes=4, seed=seed, days=("2021-06-01", "2021-06-01"))
    a, b, c = (sha256_tree(tmp_path / n / "data" / "smart_home", "*/**/*.parquet") for n in "abc")
    assert len(a) == len(checks.TABLES) and a == b
    assert all(a[name] != c[name] for name in a)


def test_adding_homes_leaves_the_existing_homes_rows_identical(tmp_path, instance):
    small, _ = _build(tmp_path / "small", instance, homes=4, days=("2021-10-31", "2021-10-31"))
    large, _ = _build(tmp_path / "large", instance, homes=9, days=("2021-10-31", "2021-10-31"))
    day = date(2021, 10, 31)
    for table in checks.TABLES:
        few = pl.read_parquet(layout.daily_path(small.data_path, table, day))
        many = pl.read_parquet(layout.daily_path(large.data_path, table, day))
        key = "region_id" if table in checks.REGIONAL_TABLES else "home_id"
        assert many.filter(pl.col(key).is_in(few[key].implode())).equals(few), table
        assert many.height >= few.height


def test_without_the_homes_file_the_error_names_it_and_the_command(tmp_path, instance):
    _, resources = _resources(tmp_path, 3)
    with pytest.raises(CorruptFileError, match="homes.parquet is missing.*materialize smart_home/homes"):
        _run(resources, instance, [assets.KEYS["weather"]], partition_key="2021-01-01")


def test_the_hours_check_fails_on_a_missing_or_foreign_hour(tmp_path):
    from synth_assets.smart_home.context.weather import weather_day
    from synth_assets_tests.smart_home.context_homes import context_homes

    homes = context_homes(("Berlin", "Sydney"))
    day = date(2021, 3, 28)
    frame = pl.from_arrow(weather_day(homes, day, SEED))
    rule = next(c for c in checks.checks_for("weather") if c.name == "hours_of_local_day")
    tally = checks.context_tally("weather", homes, homes.select("timezone").with_columns(
        region_id=pl.col("timezone")), [day])
    assert sum(rule.count(frame, tally.parents).values()) == 0
    assert rule.count(frame.slice(1), tally.parents)["wrong_hour_count"] == 1
    moved = frame.with_columns(pl.col("timestamp") + pl.when(pl.int_range(pl.len()) == 0)
                               .then(timedelta(days=1)).otherwise(timedelta(0)))
    counts = rule.count(moved, tally.parents)
    assert counts["rows_on_another_day"] == 1


def test_the_price_checks_fail_on_an_unknown_period_or_a_value_out_of_range():
    from synth_assets.smart_home.context.pricing import electricity_prices_day
    from synth_assets_tests.smart_home.context_homes import context_homes

    homes = context_homes(("Berlin", "Delhi"))
    frame = pl.from_arrow(electricity_prices_day(homes, date(2022, 2, 1), SEED))
    by_name = {c.name: c for c in checks.checks_for("electricity_prices")}
    assert sum(by_name["tou_period_known"].count(frame).values()) == 0
    bad = frame.with_columns(pl.when(pl.int_range(pl.len()) < 2).then(pl.lit("night")).otherwise("tou_period")
                             .alias("tou_period"), pl.col("flat_usd_per_kwh") * pl.when(pl.int_range(pl.len()) == 0)
                             .then(100.0).otherwise(1.0))
    assert by_name["tou_period_known"].count(bad)["unknown"] == 2
    assert by_name["values_in_model_ranges"].count(bad)["flat_usd_per_kwh"] == 1
