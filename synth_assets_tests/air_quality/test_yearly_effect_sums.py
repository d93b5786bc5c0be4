"""Each day's effect sums, stored with the day and added up by the yearly roll-up (issue 13 §5).

The roll-up trusts a day's stored sums only if their fingerprint matches the rows it read; files
without sums (an older version) or with stale sums (edited rows) are measured on their rows instead.
"""

from __future__ import annotations

import hashlib
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from synth_assets.air_quality import assets, effects, layout
from synth_assets.air_quality.cities import select_cities
from synth_assets.air_quality.measurements import iter_hourly_chunks
from synth_assets.air_quality.models import MEASUREMENT_SCHEMA
from synth_assets.core.storage import write_parquet_atomic
from synth_assets_tests.air_quality.helpers import (
    check_outcomes,
    copy_made_days,
    materialize,
    roll_up_failing_the_weekend_check,
)

YEAR = 2021
KEY = effects.EFFECT_SUMS_KEY.encode()


@pytest.fixture(scope="module")
def two_weeks():
    cities = select_cities("sample").sort("city_id")
    whole = pa.concat_tables(t for _, _, t in iter_hourly_chunks(cities, date(2021, 3, 1), date(2021, 3, 15), 7))
    return cities, whole


def test_day_sums_of_any_chunking_add_up_to_the_measurement_of_the_whole(two_weeks):
    cities, whole = two_weeks
    day_rows = 24 * cities.height
    pieces = [whole.slice(first * day_rows, n_days * day_rows) for first, n_days in ((0, 3), (3, 5), (8, 6))]
    day_sums = np.concatenate([effects.effect_sums(effects.to_grid(piece, cities), piece.num_rows // day_rows)
                               for piece in pieces])
    assert day_sums.shape == (14, len(effects.SUM_FIELDS))
    added = effects.effects_from_sums(day_sums.sum(axis=0))
    measured = effects.measure_effects(effects.to_grid(whole, cities))
    assert set(added) == set(measured) == set(effects.expected_effects())
    for name, value in measured.items():
        assert added[name] == pytest.approx(value, rel=1e-12), name
    one_day = whole.slice(3 * day_rows, day_rows)  # a day alone gives the same sums, bit for bit
    assert np.array_equal(effects.effect_sums(effects.to_grid(one_day, cities))[0], day_sums[3])
    assert np.array_equal(effects.effect_sums(effects.to_grid(whole, cities), 14), day_sums)
    assert effects.fingerprints(one_day, 1)[0] == effects.fingerprints(whole, 14)[3]


def test_the_fingerprint_changes_when_a_value_changes_or_two_values_swap(two_weeks):
    cities, whole = two_weeks
    day = whole.slice(0, 240)
    pm25 = day["pm25"].to_numpy()
    index = day.schema.get_field_index("pm25")
    changed, swapped = pm25.copy(), pm25.copy()
    changed[17] = np.nextafter(changed[17], np.inf)
    swapped[[5, 200]] = swapped[[200, 5]]
    assert pm25[5] != pm25[200]
    prints = {int(effects.fingerprints(day.set_column(index, "pm25", pa.array(v)), 1)[0])
              for v in (pm25, changed, swapped)}
    assert len(prints) == 3


def test_stored_sums_are_used_only_for_their_version_patterns_and_rows(two_weeks):
    cities, whole = two_weeks
    day = whole.slice(0, 240)
    sums = effects.effect_sums(effects.to_grid(day, cities))[0]
    fingerprint = effects.fingerprints(day, 1)[0]
    record = effects.effect_sums_record(sums, fingerprint)
    stale = record.replace(f'"version":{effects.EFFECT_SUMS_VERSION}', f'"version":{effects.EFFECT_SUMS_VERSION + 1}')
    read, valid = effects.stored_effect_sums([record, None, stale, "not json", record],
                                             np.array([fingerprint] * 4 + [fingerprint + np.uint64(1)]))
    assert valid.tolist() == [True, False, False, False, False]
    assert np.array_equal(read[0], sums) and not read[1:].any()


# --- through Dagster -----------------------------------------------------------------------------------

@pytest.fixture
def year_of_days(settings, tmp_path_factory):
    return copy_made_days(settings, f"{YEAR}-01-01", f"{YEAR}-12-31", tmp_path_factory.getbasetemp())


def _days(settings) -> list:
    return sorted(layout.hourly_dir(settings.data_path, "sample").glob(f"{YEAR}/*.parquet"))


def _warnings(instance, result) -> list[str]:
    return [e.user_message for e in instance.all_logs(result.run_id) if "no effect sums valid" in e.user_message]


def _observed(result) -> dict[str, float]:
    return {e.check_name: e.metadata[f"observed/{YEAR}"].value for e in result.get_asset_check_evaluations()
            if f"observed/{YEAR}" in e.metadata}


def test_day_files_without_sums_roll_up_to_the_same_bytes_and_outcomes_with_a_warning(
        year_of_days, resources, instance):
    settings = year_of_days
    assert all(KEY in pq.read_schema(path).metadata for path in _days(settings))
    stored = materialize([assets.YEARLY], resources, instance, partition_key=str(YEAR))
    assert _warnings(instance, stored) == []
    yearly = layout.yearly_path(settings.data_path, "sample", YEAR)
    digest = hashlib.sha256(yearly.read_bytes()).hexdigest()
    for path in _days(settings):  # as a version before the stored sums wrote them
        write_parquet_atomic(pq.read_table(path), path, MEASUREMENT_SCHEMA, layout.hourly_identity(settings.seed,
                                                                                                   "sample"))
    assert not any(KEY in pq.read_schema(path).metadata for path in _days(settings))
    measured = materialize([assets.YEARLY], resources, instance, partition_key=str(YEAR))
    assert hashlib.sha256(yearly.read_bytes()).hexdigest() == digest
    assert check_outcomes(measured) == check_outcomes(stored) and all(check_outcomes(measured).values())
    stored_values, measured_values = _observed(stored), _observed(measured)
    assert len(stored_values) == len(effects.expected_effects()) + 1
    for name, value in measured_values.items():
        assert stored_values[name] == pytest.approx(value, rel=1e-9), name
    (warning,) = _warnings(instance, measured)
    assert "365 daily file(s) of 2021" in warning
    assert "--select air_quality/hourly_measurements --partition-range 2021-01-01...2021-12-31" in warning


def test_edited_rows_under_stale_sums_are_measured_and_fail_the_distribution_check(year_of_days, resources, instance):
    """Every Wednesday's PM2.5 x 1.6, written with pyarrow so the file keeps its identity and its old sums."""
    settings = year_of_days
    for path in _days(settings):
        table = pq.read_table(path)
        if date.fromisoformat(path.stem).weekday() == 2:
            index = table.schema.get_field_index("pm25")
            table = table.set_column(index, table.schema.field(index),
                                     pa.array(table["pm25"].to_numpy() * 1.6))
            pq.write_table(table, path)
            assert KEY in pq.read_schema(path).metadata  # the stale sums are still there
    result = roll_up_failing_the_weekend_check(settings, resources, instance, YEAR)
    (warning,) = _warnings(instance, result)
    assert warning.startswith("52 daily file(s) of 2021")
