"""The pattern assets through Dagster on a small world (5 homes, 7 days of events, window 7): tables, views and
structural checks; the score checks warn and can both pass and fail; missing event days are named with
their commands before anything is written; a window before the first partition is refused."""

from __future__ import annotations

import shutil
from datetime import date

import dagster as dg
import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from synth_assets.core.days import PartitionOutOfRangeError
from synth_assets.core.identity import FileIdentity
from synth_assets.core.storage import CorruptFileError, write_parquet_atomic
from synth_assets.smart_home import assets as home_assets
from synth_assets.smart_home import layout
from synth_assets.smart_home.context import assets as context_assets
from synth_assets.smart_home.events import assets as event_assets
from synth_assets.smart_home.events.models import EVENTS_SCHEMA_VERSION
from synth_assets.smart_home.models import CORRELATIONS_SCHEMA, EVENTS_SCHEMA
from synth_assets.smart_home.patterns import assets, checks
from synth_assets.smart_home.patterns.layout import pattern_identity, read_pattern_day
from synth_assets.smart_home.patterns.mine import mine_in_blocks
from synth_assets.smart_home.patterns.mined_rows import MINED_ROWS, mined_rows
from synth_assets.smart_home.patterns.models import (
    ACTIONABLE_DOMAINS,
    CHAIN_SCHEMA,
    CO_OCCURRENCE_SCHEMA,
    OCCUPANCY_ENTITY,
    TIME_OF_DAY_SCHEMA,
    PatternConfig,
)
from synth_assets.smart_home.patterns.scoring import SCORE_SCHEMA, planted_pairs, score
from synth_assets.smart_home.patterns.state_change_days import (
    ROW_GROUP_ROWS,
    STATE_CHANGES_SCHEMA,
    state_changes_identity,
    state_changes_path,
)
from synth_assets.smart_home.patterns.window import (
    MissingEventDaysError,
    MissingStateChangeDaysError,
    causal_rows,
    condense,
    scan_window,
    window_days,
)
from synth_assets.smart_home.settings import SmartHomeSettings
from synth_assets_tests.conftest import make_resources, make_settings, sha256_tree

SEED = 23
HOMES = 5
FIRST, LAST = "2024-01-08", "2024-01-14"
ALL = [*home_assets.DIMENSION_ASSETS, *context_assets.CONTEXT_ASSETS, *event_assets.EVENT_ASSETS,
       *assets.PATTERN_ASSETS]
PATTERNS = [assets.TIME_OF_DAY, assets.CO_OCCURRENCE, assets.CHAINS]
TABLES = {"time_of_day_patterns": TIME_OF_DAY_SCHEMA, "co_occurrence_patterns": CO_OCCURRENCE_SCHEMA,
          "chain_patterns": CHAIN_SCHEMA}


def _range(first: str, last: str) -> dict[str, str]:
    return {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}


def _resources(root, window: int = 7):
    settings = make_settings(root / "data", seed=SEED)
    return settings, {**make_resources(settings),
                      "smart_home": SmartHomeSettings(homes=HOMES, pattern_window_days=window)}


def _world(root, instance, first: str, last: str):
    settings, resources = _resources(root)
    dg.materialize(ALL, selection=[*home_assets.KEYS.values(), event_assets.CORRELATIONS], resources=resources,
                   instance=instance)
    context = [context_assets.KEYS[t] for t in event_assets.CONTEXT_TABLES]
    dg.materialize(ALL, selection=context, resources=resources, instance=instance, tags=_range(first, last))
    dg.materialize(ALL, selection=[event_assets.EVENTS, assets.STATE_CHANGES], resources=resources,
                   instance=instance, tags=_range(first, last))
    return settings, resources


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    """The world and one analysis day (the last of the 7 event days) with its Dagster result."""
    root = tmp_path_factory.mktemp("patterns")
    with dg.instance_for_test() as instance:
        settings, resources = _world(root, instance, FIRST, LAST)
        result = dg.materialize(ALL, selection=PATTERNS, resources=resources, instance=instance, partition_key=LAST)
        yield settings, resources, result


def _evaluations(result) -> dict[tuple[str, str], dg.AssetCheckEvaluation]:
    return {(e.asset_key.path[-1], e.check_name): e for e in result.get_asset_check_evaluations()}


def test_the_tables_are_written_viewed_and_pass_their_structural_checks(analysed):
    settings, _, result = analysed
    assert result.success
    evaluations = _evaluations(result)
    structural = {k: e for k, e in evaluations.items() if k[1] not in (checks.PAIR_SCORES, checks.CHAIN_SCORES)}
    assert len(structural) == 13
    assert all(e.passed for e in structural.values()), {k: e.metadata for k, e in structural.items() if not e.passed}
    config = SmartHomeSettings(homes=HOMES, pattern_window_days=7)
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        for table, schema in TABLES.items():
            frame = read_pattern_day(settings.data_path, table, date.fromisoformat(LAST), schema,
                                     pattern_identity(table, config.config(SEED), config.patterns()))
            viewed = con.execute(f"select count(*), min(analysis_day), count(distinct home_id) "
                                 f"from smart_home.{table}").fetchone()
            assert frame.height > 0 and viewed[0] == frame.height and viewed[1] == date.fromisoformat(LAST)
            assert viewed[2] >= 3, table   # most homes have patterns of every kind
    materialized = {e.event_specific_data.materialization.asset_key: e.event_specific_data.materialization.metadata
                    for e in result.get_asset_materialization_events()}
    assert materialized[assets.TIME_OF_DAY]["window_days"].value == 7
    assert "data:image/png;base64" in materialized[assets.TIME_OF_DAY]["activity_profile"].value
    assert "length" in materialized[assets.CHAINS]["chains_by_length"].value


def test_the_time_of_day_table_finds_the_households_routines(analysed):
    settings, _, _ = analysed
    frame = pl.read_parquet(layout.daily_path(settings.data_path, "time_of_day_patterns", date.fromisoformat(LAST)))
    # every household leaves and comes back on workdays: persons have recurring weekday times
    persons = frame.filter(pl.col("entity_id").str.starts_with("person.") & (pl.col("day_type") == "weekday"))
    assert persons["home_id"].n_unique() >= 3
    assert set(persons["state"].unique()) == {"home", "not_home"}


def test_the_score_checks_warn_and_report_precision_and_recall(analysed):
    _, _, result = analysed
    evaluations = _evaluations(result)
    pairs = evaluations[("co_occurrence_patterns", checks.PAIR_SCORES)]
    chains = evaluations[("chain_patterns", checks.CHAIN_SCORES)]
    for evaluation in (pairs, chains):
        assert evaluation.severity == dg.AssetCheckSeverity.WARN
        assert evaluation.metadata["target"].value == 0.9
    assert 0 <= pairs.metadata["pairs_2/precision"].value <= 1 and 0 <= pairs.metadata["pairs_2/recall"].value <= 1
    assert "chains_4/" in " ".join(chains.metadata) or "chains_3/precision" in chains.metadata


def _replace_correlations(settings, pairs: pl.DataFrame) -> None:
    """smart_home.correlations made of ``pairs`` (home_id, entity_a, entity_b): the truth the scores read."""
    rules = pairs.select(
        "home_id", rule_id=pl.format("rule_{}", pl.int_range(pl.len())),
        kind=pl.when(pl.col("entity_a") == OCCUPANCY_ENTITY).then(pl.lit("away_all_off")).otherwise(pl.lit("chain")),
        trigger_entity_id=pl.when(pl.col("entity_a") == OCCUPANCY_ENTITY).then(pl.lit("person.anyone"))
        .otherwise(pl.col("entity_a")),
        target_entity_id="entity_b", lag_seconds=pl.lit(1.0), condition=pl.lit(None, pl.String),
        chain_id=pl.lit(None, pl.String), step=pl.lit(None, pl.Int8))
    config = SmartHomeSettings(homes=HOMES).config(SEED)
    write_parquet_atomic(rules.to_arrow(), layout.table_path(settings.data_path, "correlations"), CORRELATIONS_SCHEMA,
                         layout.table_identity("correlations", config))


@pytest.fixture
def world_copy(analysed, tmp_path):
    """A copy of the analysed world's files that a test may change."""
    settings, _, _ = analysed
    shutil.copytree(settings.data_path, tmp_path / "data")
    return _resources(tmp_path)


def test_the_pair_score_passes_when_the_truth_is_what_was_found_and_fails_when_half_of_it_is(world_copy, instance):
    settings, resources = world_copy
    found = pl.read_parquet(layout.daily_path(settings.data_path, "co_occurrence_patterns", date.fromisoformat(LAST)))
    actionable = found.filter(pl.col("entity_b").str.extract(r"^([a-z_]+)\.", 1).is_in(ACTIONABLE_DOMAINS))
    assert actionable.height >= 4

    def pair_check() -> dg.AssetCheckEvaluation:
        run = dg.materialize(ALL, selection=PATTERNS, resources=resources, instance=instance, partition_key=LAST)
        return _evaluations(run)[("co_occurrence_patterns", checks.PAIR_SCORES)]

    _replace_correlations(settings, found.select("home_id", "entity_a", "entity_b"))
    exact = pair_check()
    assert exact.passed and exact.metadata["pairs_2/precision"].value == 1.0
    half = actionable.select("home_id", "entity_a", "entity_b").unique().sort("home_id", "entity_a", "entity_b")
    _replace_correlations(settings, half.gather_every(2))
    halved = pair_check()
    assert not halved.passed and halved.metadata["pairs_2/precision"].value <= 0.6
    assert halved.severity == dg.AssetCheckSeverity.WARN


def test_missing_event_days_are_named_with_their_commands_before_anything_is_written(world_copy, instance):
    settings, resources = world_copy
    for table in TABLES:
        shutil.rmtree(layout.daily_dir(settings.data_path, table))
    for day in (date(2024, 1, 8), date(2024, 1, 9), date(2024, 1, 12)):
        layout.daily_path(settings.data_path, "events", day).unlink()
    with pytest.raises(MissingEventDaysError) as error:
        dg.materialize(ALL, selection=PATTERNS, resources=resources, instance=instance, partition_key=LAST)
    message = str(error.value)
    assert "missing: 2024-01-08...2024-01-09, 2024-01-12." in message
    assert ("dagster asset materialize -m synth_assets.definitions --select smart_home/events "
            "--partition-range 2024-01-08...2024-01-09") in message
    assert "--select smart_home/events --partition 2024-01-12" in message
    for table in TABLES:
        assert not layout.daily_dir(settings.data_path, table).exists()


def test_missing_state_change_days_are_named_with_their_command_before_anything_is_written(world_copy, instance):
    settings, resources = world_copy
    for table in TABLES:
        shutil.rmtree(layout.daily_dir(settings.data_path, table))
    for day in (date(2024, 1, 10), date(2024, 1, 11)):
        state_changes_path(settings.data_path, day).unlink()
    with pytest.raises(MissingStateChangeDaysError) as error:
        dg.materialize(ALL, selection=PATTERNS, resources=resources, instance=instance, partition_key=LAST)
    message = str(error.value)
    assert "reads smart_home.state_changes 2024-01-08...2024-01-14 (7 days); 2 missing: 2024-01-10...2024-01-11." \
        in message
    assert ("dagster asset materialize -m synth_assets.definitions --select smart_home/state_changes "
            "--partition-range 2024-01-10...2024-01-11") in message
    assert "smart_home/events" not in message   # the events are there: only the state changes are made
    for table in TABLES:
        assert not layout.daily_dir(settings.data_path, table).exists()
    remade = dg.materialize(ALL, selection=[assets.STATE_CHANGES], resources=resources, instance=instance,
                            tags=_range("2024-01-10", "2024-01-11"))
    assert remade.success and all(e.passed for e in remade.get_asset_check_evaluations())
    assert dg.materialize(ALL, selection=PATTERNS, resources=resources, instance=instance, partition_key=LAST).success


def test_the_state_changes_are_the_mined_rows_of_their_events_day(analysed):
    settings, _, _ = analysed
    day = date.fromisoformat(LAST)
    events = pl.read_parquet(layout.daily_path(settings.data_path, "events", day))
    stored = pl.read_parquet(state_changes_path(settings.data_path, day))
    assert stored.equals(mined_rows(events).sort("home_id", "entity_id", "timestamp").collect())
    assert stored.select("home_id", "entity_id", "timestamp").equals(   # the events the miners read, all of them
        events.filter(MINED_ROWS).select("home_id", "entity_id", "timestamp").sort("home_id", "entity_id", "timestamp"))
    assert pq.read_metadata(state_changes_path(settings.data_path, day)).num_row_groups == -(-stored.height //
                                                                                           ROW_GROUP_ROWS)
    assert 0 < stored.height < events.height


def test_a_window_before_the_first_partition_is_refused(tmp_path, instance):
    _, resources = _resources(tmp_path)
    with pytest.raises(PartitionOutOfRangeError, match="before the first partition 2020-01-01"):
        dg.materialize(ALL, selection=[assets.TIME_OF_DAY], resources=resources, instance=instance,
                       partition_key="2020-01-03")


def test_a_range_is_one_run_writing_each_analysis_day_and_scoring_them_together(world_copy, instance):
    settings, _ = world_copy
    resources = {**make_resources(settings), "smart_home": SmartHomeSettings(homes=HOMES, pattern_window_days=6)}
    result = dg.materialize(ALL, selection=PATTERNS, resources=resources, instance=instance,
                            tags=_range("2024-01-13", LAST))
    assert result.success
    config = SmartHomeSettings(homes=HOMES, pattern_window_days=6)
    per_day = {}
    for day in (date(2024, 1, 13), date(2024, 1, 14)):
        frame = read_pattern_day(settings.data_path, "co_occurrence_patterns", day, CO_OCCURRENCE_SCHEMA,
                                 pattern_identity("co_occurrence_patterns", config.config(SEED), config.patterns()))
        per_day[day] = frame
        assert frame["analysis_day"].unique().to_list() == [day]
    pairs = _evaluations(result)[("co_occurrence_patterns", checks.PAIR_SCORES)]
    planted = planted_pairs(pl.read_parquet(layout.table_path(settings.data_path, "correlations"))).height
    assert f"| pairs | 2 | {2 * planted} |" in pairs.metadata["scores"].value   # both days' truth, summed
    rows = sum(f.height for f in per_day.values())
    materialized = {e.event_specific_data.materialization.asset_key: e.event_specific_data.materialization.metadata
                    for e in result.get_asset_materialization_events()}
    assert materialized[assets.CO_OCCURRENCE]["dagster/row_count"].value == rows
    assert materialized[assets.CO_OCCURRENCE]["analysis_days"].value == 2


def _scores(**figures: tuple[float | None, float | None]) -> pl.DataFrame:
    """Score rows (SCORE_SCHEMA) with the given (precision, recall) per pattern, counts consistent with them."""
    rows = []
    for name, (precision, recall) in figures.items():
        pattern, length = name.rsplit("_", 1)
        rows.append({"pattern": pattern, "length": int(length), "planted": 20,
                     "exercised": 0 if recall is None else 10, "detected": 0 if precision is None else 10,
                     "true_positives": round((precision or 0) * 10), "routine_matches": 0, "precision": precision,
                     "recall": recall, "recall_of_all_planted": None if recall is None else recall / 2})
    return pl.DataFrame(rows, schema=SCORE_SCHEMA)


def test_the_chain_score_judges_lengths_two_and_three_and_only_reports_four():
    keys = (assets.CO_OCCURRENCE, assets.CHAINS)
    good = _scores(pairs_2=(0.95, 0.92), chains_2=(0.95, 0.92), chains_3=(0.9, 1.0), chains_4=(0.2, 0.1))
    pair_result, chain_result = checks.score_results(good, *keys)
    assert pair_result.passed and chain_result.passed
    assert chain_result.metadata["chains_4/precision"].value == 0.2 and chain_result.asset_key == assets.CHAINS
    _, weak_three = checks.score_results(_scores(pairs_2=(0.95, 0.92), chains_2=(0.95, 0.92), chains_3=(0.5, 1.0),
                                                 chains_4=(1.0, 1.0)), *keys)
    assert not weak_three.passed and weak_three.severity == dg.AssetCheckSeverity.WARN
    low_recall, _ = checks.score_results(_scores(pairs_2=(1.0, 0.85), chains_2=(1.0, 1.0), chains_3=(1.0, 1.0),
                                                 chains_4=(None, None)), *keys)
    assert not low_recall.passed
    unmeasurable, _ = checks.score_results(_scores(pairs_2=(None, None), chains_2=(None, None),
                                                   chains_3=(None, None), chains_4=(None, None)), *keys)
    assert unmeasurable.passed and "not measurable" in unmeasurable.description


def test_scores_of_several_days_combine_counts_not_shares():
    one = _scores(pairs_2=(0.5, 1.0), chains_2=(0.5, 1.0), chains_3=(1.0, 0.5), chains_4=(None, None))
    other = _scores(pairs_2=(1.0, 0.5), chains_2=(1.0, 0.5), chains_3=(1.0, 1.0), chains_4=(None, None))
    both = checks.combine_scores([one, other]).to_dicts()
    pairs = next(r for r in both if r["pattern"] == "pairs")
    assert pairs["detected"] == 20 and pairs["true_positives"] == 15 and pairs["precision"] == 0.75
    assert pairs["recall"] == 0.75 and checks.combine_scores([one]).equals(one)
    assert next(r for r in both if r["length"] == 4)["precision"] is None


def test_the_window_of_a_day_and_its_guards():
    days = window_days(date(2024, 1, 14), 7, today=date(2024, 2, 1))
    assert days[0] == date(2024, 1, 8) and days[-1] == date(2024, 1, 14) and len(days) == 7
    with pytest.raises(PartitionOutOfRangeError, match="in the future"):
        window_days(date(2024, 2, 1), 7, today=date(2024, 2, 1))   # the newest partition is yesterday
    with pytest.raises(PartitionOutOfRangeError, match="before the first partition"):
        window_days(date(2020, 1, 5), 7, today=date(2024, 2, 1))
    assert condense([date(2024, 1, 3), date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 5)]) == [
        (date(2024, 1, 1), date(2024, 1, 3)), (date(2024, 1, 5), date(2024, 1, 5))]


def test_rematerializing_a_day_gives_the_same_bytes(analysed, world_copy, instance):
    first, _, _ = analysed
    settings, resources = world_copy
    before = {table: sha256_tree(layout.daily_dir(first.data_path, table)) for table in TABLES}
    for _ in range(2):
        dg.materialize(ALL, selection=PATTERNS, resources=resources, instance=instance, partition_key=LAST)
        assert {table: sha256_tree(layout.daily_dir(settings.data_path, table)) for table in TABLES} == before
    assert all(len(files) == 1 for files in before.values())


def test_a_foreign_events_file_in_the_last_window_stops_the_range_before_any_day_is_written(world_copy, instance):
    settings, _ = world_copy
    resources = {**make_resources(settings), "smart_home": SmartHomeSettings(homes=HOMES, pattern_window_days=6)}
    for table in TABLES:
        shutil.rmtree(layout.daily_dir(settings.data_path, table))
    foreign = layout.daily_path(settings.data_path, "events", date(2024, 1, 14))   # only in day 14's window
    other_seed = SmartHomeSettings(homes=HOMES).config(SEED + 1)
    write_parquet_atomic(pq.read_table(foreign), foreign, EVENTS_SCHEMA,
                         layout.table_identity("events", other_seed, EVENTS_SCHEMA_VERSION))
    remake = "2024-01-14.parquet .*--select smart_home/events --partition 2024-01-14"
    with pytest.raises(CorruptFileError, match=remake):
        dg.materialize(ALL, selection=PATTERNS, resources=resources, instance=instance, tags=_range("2024-01-13", LAST))
    for table in TABLES:
        assert not layout.daily_dir(settings.data_path, table).exists()


def test_a_foreign_state_changes_file_is_refused_with_the_command_that_remakes_it(world_copy, instance):
    settings, resources = world_copy
    for table in TABLES:
        shutil.rmtree(layout.daily_dir(settings.data_path, table))
    foreign = state_changes_path(settings.data_path, date(2024, 1, 12))
    other_seed = SmartHomeSettings(homes=HOMES).config(SEED + 1)
    write_parquet_atomic(pq.read_table(foreign), foreign, STATE_CHANGES_SCHEMA, state_changes_identity(other_seed))
    with pytest.raises(CorruptFileError, match="2024-01-12.parquet .*--select smart_home/state_changes "
                                               "--partition 2024-01-12"):
        dg.materialize(ALL, selection=PATTERNS, resources=resources, instance=instance, partition_key=LAST)
    for table in TABLES:
        assert not layout.daily_dir(settings.data_path, table).exists()


def test_state_changes_of_the_earlier_layout_are_refused_at_once_with_the_span_to_remake(world_copy, instance):
    """After an upgrade every day of the window holds the earlier layout (schema version 1: last_changed, no
    kind or value): one error names all of them, not one day per 3 AM run."""
    settings, resources = world_copy
    for table in TABLES:
        shutil.rmtree(layout.daily_dir(settings.data_path, table))
    old_layout = pa.schema([EVENTS_SCHEMA.field(c) for c in ("home_id", "entity_id", "timestamp", "last_changed",
                                                             "state")])
    events_days = sorted(layout.daily_dir(settings.data_path, "events").glob("*/*.parquet"))
    for events_day in events_days[:-1]:   # all but the last day of the window
        day = date.fromisoformat(events_day.stem)
        old = pq.read_table(events_day, columns=old_layout.names)
        write_parquet_atomic(old, state_changes_path(settings.data_path, day), old_layout,
                             FileIdentity(f"{layout.FAMILY}.state_changes", 1, SEED,
                                          state_changes_identity(SmartHomeSettings(homes=HOMES).config(SEED)).config))
    with pytest.raises(CorruptFileError, match=r"6 of the 7 smart_home.state_changes files of the window of "
                                               r"2024-01-14 were refused .*earlier version.*Fix: dagster asset "
                                               r"materialize .*--select smart_home/state_changes --partition-range "
                                               r"2024-01-08\.\.\.2024-01-13$"):
        dg.materialize(ALL, selection=PATTERNS, resources=resources, instance=instance, partition_key=LAST)
    for table in TABLES:
        assert not layout.daily_dir(settings.data_path, table).exists()


def test_pattern_settings_come_from_run_config_or_the_environment_and_bad_values_are_named():
    assert SmartHomeSettings.from_env({}).patterns().window_days == 28
    from_env = SmartHomeSettings.from_env({"SYNTH_SMART_HOME_PATTERN_WINDOW_DAYS": "14",
                                           "SYNTH_SMART_HOME_PATTERN_MIN_SUPPORT": "6"}).patterns()
    assert (from_env.window_days, from_env.min_support) == (14, 6)
    assert SmartHomeSettings(pattern_window_days=7, pattern_min_lift=30.0).patterns().min_lift == 30.0
    with pytest.raises(ValueError, match="pattern_window_days=0: Input should be greater than or equal to 1"):
        SmartHomeSettings(pattern_window_days=0)
    with pytest.raises(ValueError, match="pattern_min_confidence=1.5"):
        SmartHomeSettings(pattern_min_confidence=1.5)
    with pytest.raises(ValueError, match="SYNTH_SMART_HOME_PATTERN_WINDOW_DAYS='four weeks' is not an integer"):
        SmartHomeSettings.from_env({"SYNTH_SMART_HOME_PATTERN_WINDOW_DAYS": "four weeks"})


def test_scores_in_blocks_of_homes_equal_the_score_of_all_homes_at_once(analysed):
    settings, _, _ = analysed
    config = SmartHomeSettings(homes=HOMES).config(SEED)
    days = window_days(date.fromisoformat(LAST), 7)
    scan = scan_window(settings.data_path, days[-1], days,
                       layout.table_identity("events", config, EVENTS_SCHEMA_VERSION))
    ids = [f"home_{i:05d}" for i in range(1, HOMES + 1)]
    mined = mine_in_blocks(scan, ids, 7 * 86_400.0, PatternConfig(window_days=7))
    correlations = pl.read_parquet(layout.table_path(settings.data_path, "correlations"))
    entities = pl.read_parquet(layout.table_path(settings.data_path, "entities"))
    whole = score(mined.co_occurrence, mined.chains, correlations, causal_rows(scan), 4, entities)
    blocks = checks.score_in_blocks(mined, correlations, entities, lambda block: causal_rows(scan, block), ids, 4,
                                    block_homes=2)
    assert whole["detected"].sum() > 0 and whole["exercised"].sum() > 0
    assert blocks.equals(whole)
