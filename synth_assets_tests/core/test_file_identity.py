"""Every file says what it holds; readers refuse a file of another seed, mode, schema or program."""

from __future__ import annotations

import hashlib
from datetime import date

import dagster as dg
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from synth_assets.air_quality import assets, layout
from synth_assets.core.identity import METADATA_KEY, FileIdentity, config_fingerprint
from synth_assets.core.storage import (
    CorruptFileError,
    create_parquet_view,
    matching_files,
    read_parquet_checked,
    write_parquet_atomic,
)
from synth_assets_tests.air_quality.helpers import materialize
from synth_assets_tests.conftest import make_resources, make_settings

SCHEMA = pa.schema([("x", pa.int64())])
IDENTITY = FileIdentity("test.numbers", 1, 42, "sample")


def test_identity_is_stored_deterministically_and_read_back(tmp_path):
    table = pa.table({"x": [1, 2, 3]})
    first, second = tmp_path / "a.parquet", tmp_path / "b.parquet"
    write_parquet_atomic(table, first, SCHEMA, IDENTITY)
    write_parquet_atomic(table, second, SCHEMA, IDENTITY)
    assert hashlib.sha256(first.read_bytes()).digest() == hashlib.sha256(second.read_bytes()).digest()
    stored = pq.read_schema(first).metadata
    assert FileIdentity.from_metadata(stored) == IDENTITY
    assert stored[METADATA_KEY] == b'{"config":"sample","dataset":"test.numbers","schema_version":1,"seed":42}'
    assert read_parquet_checked(first, SCHEMA, fix="-", identity=IDENTITY).num_rows == 3


@pytest.mark.parametrize("written, words", [
    (FileIdentity("test.numbers", 1, 7, "sample"), "seed 7 where 42 was expected"),
    (FileIdentity("test.numbers", 1, 42, "full"), "config 'full' where 'sample' was expected"),
    (FileIdentity("test.numbers", 2, 42, "sample"), "schema_version 2 where 1 was expected"),
    (FileIdentity("other.numbers", 1, 42, "sample"), "dataset 'other.numbers'"),
    (None, "carries no synth identity"),
])
def test_a_reader_refuses_a_file_that_holds_something_else(tmp_path, written, words):
    path = tmp_path / "a.parquet"
    write_parquet_atomic(pa.table({"x": [1]}), path, SCHEMA, written)
    with pytest.raises(CorruptFileError) as caught:
        read_parquet_checked(path, SCHEMA, fix="run the fixing command", identity=IDENTITY)
    message = str(caught.value)
    assert str(path) in message and words in message and "Fix: run the fixing command" in message


def test_config_fingerprint_is_stable_and_order_free():
    assert config_fingerprint({"a": 1, "b": [2, 3]}) == config_fingerprint({"b": [2, 3], "a": 1})
    assert config_fingerprint({"a": 1}) != config_fingerprint({"a": 2})
    assert len(config_fingerprint({})) == 16


def test_a_day_remade_with_another_seed_is_refused_by_the_yearly_roll_up(tmp_path):
    """The issue's reproduction: days of 2021 with seed 42, one day again with seed 7, then the roll-up."""
    settings_42, settings_7 = make_settings(tmp_path / "data", seed=42), make_settings(tmp_path / "data", seed=7)
    with dg.instance_for_test() as instance:
        materialize([assets.CITY_PROFILES], make_resources(settings_42), instance)
        materialize([assets.HOURLY], make_resources(settings_42), instance,
                    partition_range=("2021-01-01", "2021-12-31"))
        materialize([assets.HOURLY], make_resources(settings_7), instance, partition_key="2021-03-04")
        with pytest.raises(CorruptFileError) as caught:
            materialize([assets.YEARLY], make_resources(settings_42), instance, partition_key="2021")
    message = str(caught.value)
    assert "2021-03-04.parquet" in message and "seed 7 where 42 was expected" in message
    assert "SYNTH_SEED=42" in message and "--partition 2021-03-04" in message
    assert not layout.yearly_path(settings_42.data_path, "sample", 2021).exists()


def test_every_air_quality_file_carries_its_identity(tmp_path):
    settings = make_settings(tmp_path / "data", seed=5)
    with dg.instance_for_test() as instance:
        resources = make_resources(settings)
        materialize([assets.CITY_PROFILES], resources, instance)
        materialize([assets.HOURLY], resources, instance, partition_range=("2022-01-01", "2022-12-31"))
        materialize([assets.YEARLY], resources, instance, partition_key="2022")
    data = settings.data_path

    def identity(path):
        return FileIdentity.from_metadata(pq.read_schema(path).metadata)

    assert identity(layout.city_profiles_path(data, "sample")) == layout.city_profiles_identity("sample")
    assert identity(layout.daily_path(data, "sample", date(2022, 7, 1))) == layout.hourly_identity(5, "sample")
    assert identity(layout.yearly_path(data, "sample", 2022)) == layout.yearly_identity(5, "sample")


def test_the_view_refuses_a_year_file_of_another_seed(tmp_path):
    settings_5, settings_6 = make_settings(tmp_path / "data", seed=5), make_settings(tmp_path / "data", seed=6)
    with dg.instance_for_test() as instance:
        for settings, year in ((settings_5, "2022"), (settings_6, "2023")):
            resources = make_resources(settings)
            materialize([assets.CITY_PROFILES], resources, instance)
            materialize([assets.HOURLY], resources, instance, partition_range=(f"{year}-01-01", f"{year}-12-31"))
        # 2023 rolled up with seed 6 left a year file of seed 6; rolling 2022 up with seed 5 rebuilds the view
        materialize([assets.YEARLY], make_resources(settings_6), instance, partition_key="2023")
        with pytest.raises(CorruptFileError, match=r"2023\.parquet is not air_quality\.yearly_measurements.*seed 6 "
                                                   r"where 5 was expected"):
            materialize([assets.YEARLY], make_resources(settings_5), instance, partition_key="2022")


def test_measurement_files_name_the_model_and_the_city_reference_they_were_made_from(tmp_path):
    """A day generated before a model change or from another cities.csv is another dataset."""
    from synth_assets.air_quality.cities import REFERENCE_CSV

    config = layout.hourly_identity(5, "sample").config
    assert config.startswith("sample;") and f"model v{layout.MEASUREMENT_MODEL_VERSION}" in config
    assert layout.yearly_identity(5, "sample").config == config
    edited = tmp_path / "cities.csv"
    edited.write_bytes(REFERENCE_CSV.read_bytes().replace(b",true\n", b",false\n", 1))
    assert layout._reference_digest(edited) != layout._reference_digest(REFERENCE_CSV)
    assert layout._reference_digest(REFERENCE_CSV) in config
    older = FileIdentity(layout.hourly_identity(5, "sample").dataset, layout.MEASUREMENT_SCHEMA_VERSION, 5, "sample")
    assert "config 'sample' where" in layout.hourly_identity(5, "sample").differences(older)


def test_a_view_over_daily_directories_checks_every_day_file(tmp_path):
    """A daily table's glob has wildcards in a directory too (``<table>/[0-9][0-9][0-9][0-9]/*.parquet``):
    every file it names is checked, and a day of another seed is refused with the view left as it was."""
    schema = pa.schema([("x", pa.int64())])
    mine, other = (FileIdentity("t.days", 1, seed, "c") for seed in (1, 2))
    glob = tmp_path / "days" / "[0-9][0-9][0-9][0-9]" / "*.parquet"
    for day, identity in (("2024-01-01", mine), ("2024-01-02", mine), ("2025-03-04", other)):
        write_parquet_atomic(pa.table({"x": [int(day[-1])]}), tmp_path / "days" / day[:4] / f"{day}.parquet",
                             schema, identity)
    assert [p.name for p in matching_files(glob)] == ["2024-01-01.parquet", "2024-01-02.parquet",
                                                      "2025-03-04.parquet"]
    with duckdb.connect(str(tmp_path / "v.duckdb")) as con:
        with pytest.raises(CorruptFileError, match=r"2025-03-04\.parquet is not t\.days.*seed 2 where 1 was expected"):
            create_parquet_view(con, "s", "days", glob, schema, mine)
        assert not con.execute("select count(*) from duckdb_views() where view_name = 'days'").fetchone()[0]
        (tmp_path / "days" / "2025" / "2025-03-04.parquet").unlink()
        create_parquet_view(con, "s", "days", glob, schema, mine)
        assert con.execute("select sum(x) from s.days").fetchone() == (3,)
