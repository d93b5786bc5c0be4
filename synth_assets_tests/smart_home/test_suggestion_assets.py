"""automation_suggestions and prompt_automation_pairs through Dagster: upstream materialized (dimensions, rules,
context, events, automations), the analysis day's pattern files written by the fixture from the mined events
(with the pattern identity the pattern assets write), then both assets: tables, views, YAML per home (loaded by
Home Assistant 2024.3's validator), JSONL per split, checks that pass and can fail, a missing pattern day named
before anything is written, the same bytes again."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta

import dagster as dg
import duckdb
import polars as pl
import pytest
import yaml

from synth_assets.core.storage import CorruptFileError, write_parquet_atomic
from synth_assets.smart_home import assets as home_assets
from synth_assets.smart_home import layout
from synth_assets.smart_home.context import assets as context_assets
from synth_assets.smart_home.events import assets as event_assets
from synth_assets.smart_home.export import assets as export_assets
from synth_assets.smart_home.patterns import suggestion_assets
from synth_assets.smart_home.patterns.layout import pattern_identity
from synth_assets.smart_home.patterns.mine import mine_pairs_and_chains
from synth_assets.smart_home.patterns.models import (
    CHAIN_SCHEMA,
    CO_OCCURRENCE_SCHEMA,
    TIME_OF_DAY_SCHEMA,
)
from synth_assets.smart_home.settings import SmartHomeSettings
from synth_assets.smart_home.training import prompt_pair_assets
from synth_assets.smart_home.training.prompt_pairs import SPLITS
from synth_assets_tests.conftest import make_resources, make_settings
from synth_assets_tests.smart_home.ha_tool_env import ha_python, run_ha_script  # noqa: F401 - fixture
from synth_assets_tests.smart_home.suggestion_frames import pattern_frame, undeclared_routine

SEED = 5
FIRST, LAST = date(2024, 1, 8), date(2024, 1, 14)
WINDOW = (LAST - FIRST).days + 1
RANGE = {"dagster/asset_partition_range_start": FIRST.isoformat(),
         "dagster/asset_partition_range_end": LAST.isoformat()}
ALL = [*home_assets.DIMENSION_ASSETS, *context_assets.CONTEXT_ASSETS, *event_assets.EVENT_ASSETS,
       *export_assets.EXPORT_ASSETS, *suggestion_assets.SUGGESTION_ASSETS, *prompt_pair_assets.PROMPT_PAIR_ASSETS]
MINE = [suggestion_assets.SUGGESTIONS, prompt_pair_assets.PROMPT_PAIRS]

pytestmark = pytest.mark.xdist_group(name="suggestion_assets")  # module fixtures: keep the module on one worker


@pytest.fixture(autouse=True)
def _no_smart_home_settings_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SYNTH_SMART_HOME_HOMES", "SYNTH_SMART_HOME_PATTERN_WINDOW_DAYS",
                 "SYNTH_SMART_HOME_PATTERN_MIN_SUPPORT", "SYNTH_SMART_HOME_ANOMALY_RATE"):
        monkeypatch.delenv(name, raising=False)


def write_pattern_day(settings, smart_home: SmartHomeSettings, day: date) -> None:
    """The day's pattern files as the pattern assets write them: mined from the events window, plus a routine
    no rule makes and a regular time for one free entity (the time table is the pattern assets' own)."""
    config, patterns = smart_home.config(settings.seed), smart_home.patterns()
    days = [day - timedelta(days=i) for i in range(patterns.window_days)][::-1]
    events = pl.concat([pl.read_parquet(layout.daily_path(settings.data_path, "events", d)) for d in days])
    mined = mine_pairs_and_chains(events, patterns.window_days * 86_400.0, patterns)
    entities = pl.read_parquet(layout.table_path(settings.data_path, "entities"))
    rules = pl.read_parquet(layout.table_path(settings.data_path, "correlations"))
    extra_pairs, extra_chains = undeclared_routine(entities, rules)
    blind = entities.filter(pl.col("domain") == "cover").join(
        rules.select(entity_id="target_entity_id"), on="entity_id", how="anti").row(0, named=True)
    times = pattern_frame(TIME_OF_DAY_SCHEMA, [(blind["home_id"], blind["entity_id"], "open", "weekday", 425, 4.0, 5,
                                                5, 1.0)])
    for table, frame, schema in (("co_occurrence_patterns", pl.concat([mined.co_occurrence, extra_pairs]),
                                  CO_OCCURRENCE_SCHEMA),
                                 ("chain_patterns", pl.concat([mined.chains, extra_chains]), CHAIN_SCHEMA),
                                 ("time_of_day_patterns", times, TIME_OF_DAY_SCHEMA)):
        rows = frame.with_columns(analysis_day=pl.lit(day, pl.Date)).select(schema.names).to_arrow()
        write_parquet_atomic(rows, layout.daily_path(settings.data_path, table, day), schema,
                             pattern_identity(table, config, patterns))


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    root = tmp_path_factory.mktemp("suggestion_assets")
    settings = make_settings(root / "data", seed=SEED)
    smart_home = SmartHomeSettings(homes=6, pattern_window_days=WINDOW)
    resources = {**make_resources(settings), "smart_home": smart_home}
    with dg.instance_for_test() as instance:
        dg.materialize(ALL, selection=[*home_assets.KEYS.values(), event_assets.CORRELATIONS,
                                       export_assets.KEYS["automations"]], resources=resources, instance=instance)
        dg.materialize(ALL, selection=[context_assets.KEYS[t] for t in event_assets.CONTEXT_TABLES],
                       resources=resources, instance=instance, tags=RANGE)
        dg.materialize(ALL, selection=[event_assets.EVENTS], resources=resources, instance=instance, tags=RANGE)
        write_pattern_day(settings, smart_home, LAST)
        result = dg.materialize(ALL, selection=MINE, resources=resources, instance=instance,
                                partition_key=LAST.isoformat())
    return settings, resources, result


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_both_assets_write_their_tables_views_and_every_check_passes(made):
    settings, _, result = made
    assert result.success
    checks = {(c.asset_key, c.check_name): c for c in result.get_asset_check_evaluations()}
    declared = {(spec.asset_key, spec.name) for a in (suggestion_assets.automation_suggestions,
                                                       prompt_pair_assets.prompt_automation_pairs)
                for spec in a.check_specs}
    assert set(checks) == declared and all(c.passed for c in checks.values())
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as db:
        suggestions = db.sql("SELECT * FROM smart_home.automation_suggestions").pl()
        pairs = db.sql("SELECT * FROM smart_home.prompt_automation_pairs").pl()
    assert set(suggestions["kind"]) == {"pair", "chain", "time"}
    assert set(suggestions["analysis_day"]) == {LAST} and set(pairs["analysis_day"]) == {LAST}
    automations = pl.read_parquet(layout.table_path(settings.data_path, "automations"))
    phrased = pairs.select("home_id", "automation_id").unique()
    expected = pl.concat([automations.select("home_id", "automation_id"),
                          suggestions.select("home_id", automation_id="suggestion_id")])
    assert phrased.sort(pl.all()).equals(expected.sort(pl.all()))   # every automation and suggestion phrased
    assert set(pairs.filter(pl.col("source") == "suggestion")["automation_id"]) == set(suggestions["suggestion_id"])


def test_each_homes_yaml_holds_its_suggestions_and_home_assistant_accepts_them(made, ha_python):  # noqa: F811
    settings, _, _ = made
    table = pl.read_parquet(layout.daily_path(settings.data_path, "automation_suggestions", LAST))
    directory = suggestion_assets.yaml_dir(settings.data_path, LAST)
    files = sorted(directory.glob("*.yaml"))
    assert [f.stem for f in files] == sorted(table["home_id"].unique().to_list())
    expected = {}
    for path in files:
        ids = [a["id"] for a in yaml.safe_load(path.read_text())]
        assert ids == table.filter(pl.col("home_id") == path.stem)["suggestion_id"].to_list()
        expected[str(path)] = ids
    found = run_ha_script(ha_python, "validate_automations.py", *files)
    assert {p: r["errors"] for p, r in found.items()} == {p: [] for p in expected}
    assert {p: r["valid"] for p, r in found.items()} == expected


def test_the_jsonl_of_each_split_holds_that_splits_pairs(made):
    settings, _, _ = made
    table = pl.read_parquet(layout.daily_path(settings.data_path, "prompt_automation_pairs", LAST))
    for split in SPLITS:
        path = prompt_pair_assets.jsonl_path(settings.data_path, LAST, split)
        lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        rows = table.filter(pl.col("split") == split)
        assert [set(line) for line in lines] == [{"prompt", "completion"}] * rows.height
        assert [line["prompt"] for line in lines] == rows["prompt"].to_list()
        assert [line["completion"] for line in lines] == rows["completion"].to_list()
    assert table["split"].n_unique() >= 2   # six homes: the first block deals train and at least one other


def test_a_missing_pattern_day_is_named_and_nothing_is_written(made):
    settings, resources, _ = made
    day = LAST - timedelta(days=1)
    with dg.instance_for_test() as instance, pytest.raises(FileNotFoundError, match="co_occurrence_patterns") as err:
        dg.materialize(ALL, selection=[suggestion_assets.SUGGESTIONS], resources=resources, instance=instance,
                       partition_key=day.isoformat())
    assert "--select smart_home/co_occurrence_patterns --partition 2024-01-13" in str(err.value)
    assert not layout.daily_path(settings.data_path, "automation_suggestions", day).exists()


def test_pattern_files_mined_with_other_settings_are_refused_before_a_write(made):
    settings, resources, _ = made
    path = layout.daily_path(settings.data_path, "automation_suggestions", LAST)
    before = _sha(path)
    other = {**resources, "smart_home": SmartHomeSettings(homes=6, pattern_window_days=WINDOW - 1)}
    with dg.instance_for_test() as instance, pytest.raises(CorruptFileError, match="co_occurrence_patterns") as err:
        dg.materialize(ALL, selection=[suggestion_assets.SUGGESTIONS], resources=other, instance=instance,
                       partition_key=LAST.isoformat())
    assert "re-run: dagster asset materialize" in str(err.value)
    assert _sha(path) == before


def test_the_same_day_again_gives_the_same_bytes(made):
    settings, resources, _ = made
    paths = [layout.daily_path(settings.data_path, t, LAST) for t in ("automation_suggestions",
                                                                       "prompt_automation_pairs")]
    paths += sorted(suggestion_assets.yaml_dir(settings.data_path, LAST).glob("*.yaml"))
    paths += [prompt_pair_assets.jsonl_path(settings.data_path, LAST, split) for split in SPLITS]
    before = {p: _sha(p) for p in paths}
    with dg.instance_for_test() as instance:
        assert dg.materialize(ALL, selection=MINE, resources=resources, instance=instance,
                              partition_key=LAST.isoformat()).success
    assert {p: _sha(p) for p in paths} == before


def test_the_suggestion_checks_fail_on_bad_rows(made):
    settings, resources, _ = made
    table = pl.read_parquet(layout.daily_path(settings.data_path, "automation_suggestions", LAST))
    automations = suggestion_assets.read_automations(settings.data_path, resources["smart_home"].config(SEED))
    existing = suggestion_assets.automation_links(automations)
    entities = pl.read_parquet(layout.table_path(settings.data_path, "entities"))
    keys = suggestion_assets.entity_keys(entities)
    assert all(r.passed for r in suggestion_assets.judge(table, existing, keys))
    planted = automations.head(1).select("home_id", suggestion_id="automation_id", yaml="yaml")
    pair = table.filter(pl.col("kind") == "pair").row(0, named=True)
    bad = table.head(3).with_columns(
        yaml=pl.Series([pair["yaml"].replace(pair["target_entity_id"], "light.nowhere"), "just: text",
                        planted["yaml"][0]]),
        home_id=pl.Series([pair["home_id"], table["home_id"][1], planted["home_id"][0]]),
        confidence=pl.Series([1.5, 0.5, 0.5]))
    failed = {r.check_name for r in suggestion_assets.judge(bad, existing, keys) if not r.passed}
    assert failed == {"yaml_entities_exist", "yaml_is_one_automation", "no_duplicate_of_an_existing_automation",
                      "confidence_and_support_in_range"}


def test_the_prompt_pair_checks_fail_on_bad_rows(made):
    settings, _, _ = made
    table = pl.read_parquet(layout.daily_path(settings.data_path, "prompt_automation_pairs", LAST))
    bad = table.head(2).with_columns(prompt=pl.Series(["  ", table["prompt"][1]]),
                                     completion=pl.Series([table["completion"][0], "- a\n- b\n"]))
    failed = {r.check_name for r in prompt_pair_assets.judge(bad) if not r.passed}
    assert failed == {"prompt_not_empty", "completion_is_one_automation"}
    homes = pl.DataFrame({"home_id": [f"h{i}" for i in range(20)], "split": ["train"] * 20})
    lopsided = homes.with_columns(prompt=pl.lit("Turn it on."), completion=pl.lit(table["completion"][0]),
                                  analysis_day=pl.lit(LAST), pair_id=pl.format("p{}", "home_id"))
    failed = {r.check_name for r in prompt_pair_assets.judge(lopsided) if not r.passed}
    assert failed == {"split_share_train", "split_share_validation", "split_share_test"}
