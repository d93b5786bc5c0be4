"""Materialize air-quality assets in tests through Dagster, exactly as a run would."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg

from synth_assets.air_quality import assets, layout
from synth_assets.core.resources import SynthSettings, duckdb_resource

ALL_ASSETS = [assets.city_profiles, assets.hourly_measurements, assets.yearly_measurements]


def materialize(keys, resources, instance, *, partition_key=None, partition_range=None, raise_on_error=True):
    tags = {}
    if partition_range:
        tags = {"dagster/asset_partition_range_start": partition_range[0],
                "dagster/asset_partition_range_end": partition_range[1]}
    return dg.materialize(ALL_ASSETS, selection=keys, resources=resources, instance=instance,
                          partition_key=partition_key, tags=tags, raise_on_error=raise_on_error)


def check_outcomes(result: dg.ExecuteInProcessResult) -> dict[str, bool]:
    return {e.check_name: e.passed for e in result.get_asset_check_evaluations()}


_MADE: dict[tuple, Path] = {}


def copy_made_days(settings: SynthSettings, first: str, last: str, cache_root: Path) -> SynthSettings:
    """``settings``' data directory gets the city profiles and the hourly files of ``first``..``last`` for its
    seed and mode: made once per test process through Dagster (as a run makes them), then copied, so that a
    test may damage its own copy. Returns ``settings``."""
    key = (settings.seed, settings.air_quality_mode, first, last)
    if key not in _MADE:
        made = SynthSettings(seed=settings.seed, air_quality_mode=settings.air_quality_mode,
                             data_dir=str(cache_root / f"made-days-{len(_MADE)}" / "data"))
        resources = {"settings": made, "duckdb": duckdb_resource(made)}
        with dg.instance_for_test() as instance:
            materialize([assets.CITY_PROFILES], resources, instance)
            materialize([assets.HOURLY], resources, instance, partition_range=(first, last))
        _MADE[key] = made.data_path
    shutil.copytree(_MADE[key], settings.data_path, dirs_exist_ok=True)
    return settings


def roll_up_failing_the_weekend_check(settings: SynthSettings, resources, instance, year: int):
    """Roll ``year`` up from daily files whose Wednesdays were distorted: the values stay in their ranges, the
    weekend distribution check fails, the run fails and no yearly file is published. Returns the result."""
    result = materialize([assets.YEARLY], resources, instance, partition_key=str(year), raise_on_error=False)
    outcomes = check_outcomes(result)
    assert outcomes["values_in_model_ranges"] is True
    assert outcomes["distribution_weekend"] is False
    assert not result.success
    assert not layout.yearly_path(settings.data_path, settings.air_quality_mode, year).exists()
    return result
