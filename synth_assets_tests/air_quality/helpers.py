"""Materialize air-quality assets in tests through Dagster, exactly as a run would."""

from __future__ import annotations

import dagster as dg

from synth_assets.air_quality import assets

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
