"""The code location as Dagster loads it: assets, checks, jobs, the nightly schedule and the sensor."""

from __future__ import annotations

from datetime import datetime, timezone

import dagster as dg
import pytest

from synth_assets.air_quality import assets, jobs
from synth_assets.air_quality.checks import DISTRIBUTION_RULES, INTEGRITY_RULES
from synth_assets.core.resources import SynthSettings, UnknownModeError
from synth_assets.definitions import defs


def test_definitions_load_and_every_asset_is_described_grouped_and_kinded():
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    others = {key for key in keys if not key.startswith("smart_home/")}  # smart_home: its own tests
    assert others == {"air_quality/city_profiles", "air_quality/hourly_measurements",
                    "air_quality/yearly_measurements", "air_quality/streamed_measurements", "content/users",
                    "content/content_items",
                    "content/content_items_auto", "content/generation_jobs"}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        # the family is both the key prefix and the group (or a group of its own: smart_home_patterns ...)
        assert node.group_name == key.path[0] or node.group_name.startswith(f"{key.path[0]}_")
        assert node.description and len(node.description) > 40
        assert node.kinds


# Statistical checks that report but do not stop downstream assets (a failure lists what missed)
NON_BLOCKING = {("smart_home/events", "planted_rules_measured_back"),
                ("smart_home/co_occurrence_patterns", "pair_scores_against_planted_rules"),   # statistical: warn
                ("smart_home/chain_patterns", "chain_scores_against_planted_rules"),
                ("smart_home/planted_anomalies", "planted_share_within_binomial_band"),
                ("smart_home/anomalies", "anomalies_precision_recall_vs_planted")}


def test_checks_are_declared_blocking_on_both_measurement_assets():
    graph = defs.resolve_asset_graph()
    declared = {}
    for key in graph.asset_check_keys:
        declared.setdefault(key.asset_key.to_user_string(), set()).add(key.name)
        expected = (key.asset_key.to_user_string(), key.name) not in NON_BLOCKING
        assert graph.get_check_spec(key).blocking == expected, key
    assert declared["air_quality/hourly_measurements"] == set(INTEGRITY_RULES)
    assert declared["air_quality/yearly_measurements"] == set(INTEGRITY_RULES) | {
        f"distribution_{name}" for name in DISTRIBUTION_RULES}


def test_yearly_depends_on_the_days_of_its_year():
    graph = defs.resolve_asset_graph()
    mapping = graph.get_partition_mapping(assets.YEARLY, assets.HOURLY)
    upstream = mapping.get_upstream_mapped_partitions_result_for_partitions(
        assets.yearly_measurements.partitions_def.subset_with_partition_keys(["2024"]),
        assets.yearly_measurements.partitions_def,
        assets.hourly_measurements.partitions_def,
    ).partitions_subset.get_partition_keys()
    assert len(upstream) == 366 and upstream[0] == "2024-01-01" and upstream[-1] == "2024-12-31"


@pytest.mark.parametrize("now, expected", [
    (datetime(2024, 3, 5, 0, 30, tzinfo=timezone.utc), "2024-03-04"),
    (datetime(2025, 1, 1, 0, 30, tzinfo=timezone.utc), "2024-12-31"),
])
def test_nightly_schedule_requests_yesterday(now, expected):
    schedule = defs.resolve_schedule_def("air_quality_nightly")
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(instance=instance, scheduled_execution_time=now)
        requests = list(schedule.evaluate_tick(context).run_requests)
    assert [r.partition_key for r in requests] == [expected]
    assert schedule.job_name == "air_quality_daily_job"
    assert schedule.cron_schedule == "30 0 * * *"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING


@pytest.mark.parametrize("tags, years", [
    ({"dagster/partition": "2024-12-31"}, ["2024"]),
    ({"dagster/asset_partition_range_start": "2022-12-30",
      "dagster/asset_partition_range_end": "2024-01-02"}, ["2022", "2023", "2024"]),
    ({}, []),
])
def test_years_touched_by_a_daily_run(tags, years):
    assert jobs.years_of_run(tags) == years


def test_yearly_refresh_sensor_requests_the_year_of_a_successful_daily_run():
    with dg.instance_for_test() as instance:
        run = instance.create_run_for_job(
            job_def=defs.resolve_job_def("air_quality_daily_job"), tags={"dagster/partition": "2023-06-30"})
        event = dg.DagsterEvent(
            event_type_value=dg.DagsterEventType.RUN_SUCCESS.value, job_name=run.job_name,
            message="success")
        context = dg.build_run_status_sensor_context(
            sensor_name="air_quality_yearly_refresh", dagster_instance=instance, dagster_run=run,
            dagster_event=event)
        requests = list(jobs.yearly_refresh_sensor(context))
    assert [(r.partition_key, r.run_key) for r in requests] == [("2023", f"{run.run_id}:2023")]


def test_unknown_mode_is_refused_with_the_valid_modes():
    with pytest.raises(Exception, match=r"unknown air-quality mode 'huge'; valid modes: sample, full"):
        SynthSettings(air_quality_mode="huge")
    with pytest.raises(UnknownModeError, match="'Full'"):
        SynthSettings.from_env({"SYNTH_AIR_QUALITY_MODE": "Full"})
    with pytest.raises(ValueError, match="SYNTH_SEED"):
        SynthSettings.from_env({"SYNTH_SEED": "forty-two"})


def test_mode_can_be_overridden_in_run_config(tmp_path, instance):
    settings = SynthSettings(data_dir=str(tmp_path))
    result = dg.materialize(
        [assets.city_profiles], resources={"settings": settings}, instance=instance,
        run_config={"resources": {"settings": {"config": {"air_quality_mode": "full", "data_dir": str(tmp_path)}}}},
    )
    metadata = result.asset_materializations_for_node("air_quality__city_profiles")[0].metadata
    assert metadata["dagster/row_count"].value == 300
    assert metadata["mode"].value == "full"
