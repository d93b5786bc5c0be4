"""planted_anomalies and anomalies through Dagster: events of a few homes with anomalies planted at a high
rate pass every check (range run == per-day runs, byte for byte), the truth is written per day, the detector
writes its day with structural checks passing and its precision / recall as a WARN check; a missing truth
or a missing events day is named."""

from datetime import date, timedelta

import dagster as dg
import duckdb
import polars as pl
import pytest

from synth_assets.smart_home import assets as home_assets
from synth_assets.smart_home import layout
from synth_assets.smart_home.context import assets as context_assets
from synth_assets.smart_home.events import assets as event_assets
from synth_assets.smart_home.events.anomaly_assets import PLANTED_ANOMALIES, PLANTED_ANOMALY_ASSETS
from synth_assets.smart_home.patterns.anomaly_assets import ANOMALIES, ANOMALY_ASSETS, SCORE_CHECK
from synth_assets.smart_home.patterns.window import MissingEventDaysError
from synth_assets.smart_home.settings import SmartHomeSettings
from synth_assets_tests.conftest import make_resources, make_settings, sha256_tree

SEED = 13
ALL = [*home_assets.DIMENSION_ASSETS, *context_assets.CONTEXT_ASSETS, *event_assets.EVENT_ASSETS,
       *PLANTED_ANOMALY_ASSETS, *ANOMALY_ASSETS]
DIMENSIONS = list(home_assets.KEYS.values())
CONTEXT = [context_assets.KEYS[t] for t in event_assets.CONTEXT_TABLES]
FIRST, LAST = date(2024, 2, 1), date(2024, 2, 8)
WINDOW = 8


def _resources(root, rate: float = 0.4):
    settings = make_settings(root / "data", seed=SEED)
    return settings, {**make_resources(settings), "smart_home": SmartHomeSettings(
        homes=3, anomaly_rate=rate, pattern_window_days=WINDOW)}


def _tags(first: date, last: date) -> dict[str, str]:
    return {"dagster/asset_partition_range_start": first.isoformat(),
            "dagster/asset_partition_range_end": last.isoformat()}


def _events(root, instance, per_day: bool = False):
    settings, resources = _resources(root)
    dg.materialize(ALL, selection=[*DIMENSIONS, event_assets.CORRELATIONS], resources=resources, instance=instance)
    dg.materialize(ALL, selection=CONTEXT, resources=resources, instance=instance, tags=_tags(FIRST, LAST))
    days = [FIRST + timedelta(days=k) for k in range((LAST - FIRST).days + 1)]
    runs = ([dg.materialize(ALL, selection=[event_assets.EVENTS, PLANTED_ANOMALIES], resources=resources,
                            instance=instance, partition_key=d.isoformat()) for d in days] if per_day else
            [dg.materialize(ALL, selection=[event_assets.EVENTS, PLANTED_ANOMALIES], resources=resources,
                            instance=instance, tags=_tags(FIRST, LAST))])
    return settings, resources, runs


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    with dg.instance_for_test() as instance:
        root = tmp_path_factory.mktemp("anomalies")
        settings, resources, (events_run,) = _events(root, instance)
        analysis = dg.materialize(ALL, selection=[ANOMALIES], resources=resources, instance=instance,
                                  partition_key=LAST.isoformat())
        yield settings, resources, events_run, analysis, root


def test_events_with_planted_anomalies_pass_every_check_and_the_truth_is_written(built):
    settings, _, events_run, _, _ = built
    assert events_run.success
    failed = {(e.asset_key.to_user_string(), e.check_name): e.metadata for e in events_run.get_asset_check_evaluations()
              if not e.passed}
    assert not failed, failed
    truth = pl.concat([pl.read_parquet(p) for p in sorted(layout.daily_dir(settings.data_path,
                                                                            "planted_anomalies").rglob("*.parquet"))])
    assert truth.height >= 4 and truth["day"].min() >= FIRST and truth["day"].max() <= LAST
    events = pl.read_parquet(layout.daily_path(settings.data_path, "events", truth["day"][0]))
    first = truth.row(0, named=True)
    own = events.filter((pl.col("home_id") == first["home_id"]) & (pl.col("entity_id") == first["entity_id"])
                        & pl.col("timestamp").is_between(first["start"], first["end"]))
    assert own.height >= 1   # the spell is in that day's events


def test_the_anomalies_of_the_analysis_day_are_written_checked_and_scored(built):
    settings, _, _, analysis, _ = built
    assert analysis.success
    outcomes = {e.check_name: e for e in analysis.get_asset_check_evaluations()}
    structural = {name: e for name, e in outcomes.items() if name != SCORE_CHECK}
    assert structural and all(e.passed for e in structural.values()), {k: e.metadata for k, e in structural.items()}
    scored = outcomes[SCORE_CHECK]
    assert scored.severity == dg.AssetCheckSeverity.WARN
    assert {"precision", "recall", "planted", "detected", "by_kind"} <= set(scored.metadata)
    found = pl.read_parquet(layout.daily_path(settings.data_path, "anomalies", LAST))
    planted = pl.read_parquet(layout.daily_path(settings.data_path, "planted_anomalies", LAST))
    assert scored.metadata["planted"].value == planted.height
    assert scored.metadata["detected"].value == found.height
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        assert con.execute("select count(*) from smart_home.anomalies").fetchone()[0] == found.height
        assert con.execute("select count(*) from smart_home.planted_anomalies").fetchone()[0] >= planted.height


def test_range_run_equals_per_day_runs_with_anomalies(built, tmp_path):
    settings, _, _, _, _ = built
    with dg.instance_for_test() as instance:
        daily, _, runs = _events(tmp_path, instance, per_day=True)
    assert all(r.success for r in runs)
    for table in ("events", "planted_anomalies"):
        ranged = sha256_tree(layout.daily_dir(settings.data_path, table))
        assert len(ranged) == (LAST - FIRST).days + 1
        assert ranged == sha256_tree(layout.daily_dir(daily.data_path, table)), table


def test_without_the_truth_the_score_is_a_warning_naming_the_command(built, tmp_path):
    _, _, _, _, root = built
    settings, resources = _resources(root)
    path = layout.daily_path(settings.data_path, "planted_anomalies", LAST)
    path.rename(path.with_suffix(".moved"))
    try:
        with dg.instance_for_test() as instance:
            result = dg.materialize(ALL, selection=[ANOMALIES], resources=resources, instance=instance,
                                    partition_key=LAST.isoformat())
    finally:
        path.with_suffix(".moved").rename(path)
    scored = next(e for e in result.get_asset_check_evaluations() if e.check_name == SCORE_CHECK)
    assert not scored.passed and "smart_home/planted_anomalies" in scored.description


def test_a_missing_events_day_is_named_before_anything_is_written(built):
    _, _, _, _, root = built
    settings, resources = _resources(root)
    day = LAST + timedelta(days=2)   # its window reaches two days past the events made
    with dg.instance_for_test() as instance, pytest.raises(MissingEventDaysError, match="2024-02-09"):
        dg.materialize(ALL, selection=[ANOMALIES], resources=resources, instance=instance,
                       partition_key=day.isoformat())
    assert not layout.daily_path(settings.data_path, "anomalies", day).exists()


def test_a_foreign_truth_file_is_refused_before_the_day_is_rewritten(built):
    from synth_assets.core.identity import FileIdentity
    from synth_assets.core.storage import CorruptFileError, read_parquet_checked, write_parquet_atomic
    from synth_assets.smart_home.models import PLANTED_ANOMALIES_SCHEMA

    _, _, _, _, root = built
    settings, resources = _resources(root)
    truth = layout.daily_path(settings.data_path, "planted_anomalies", LAST)
    written = layout.daily_path(settings.data_path, "anomalies", LAST)
    kept_truth, before = truth.read_bytes(), written.read_bytes()
    table = read_parquet_checked(truth, PLANTED_ANOMALIES_SCHEMA, fix="")
    write_parquet_atomic(table, truth, PLANTED_ANOMALIES_SCHEMA,
                         FileIdentity("smart_home.planted_anomalies", 1, SEED + 1, "other"))
    written.unlink()   # the day's anomalies are not there: a run that writes before checking makes them
    try:
        with dg.instance_for_test() as instance, pytest.raises(CorruptFileError, match="planted_anomalies"):
            dg.materialize(ALL, selection=[ANOMALIES], resources=resources, instance=instance,
                           partition_key=LAST.isoformat())
        assert not written.exists()
    finally:
        truth.write_bytes(kept_truth)
        written.write_bytes(before)
