"""Where the smart-home files live under the data directory, and what each file must hold.

Dimension tables (homes, areas, devices, entities): ``<data_dir>/smart_home/<table>.parquet``.
Daily tables: ``<data_dir>/smart_home/<table>/<yyyy>/<yyyy-mm-dd>.parquet`` (core.storage.day_file).
The data directory is a local path or ``s3://bucket/prefix`` (core.object_store): the same names either way.
Every file carries a :class:`FileIdentity` (dataset ``smart_home.<table>``, schema version, seed and the
config fingerprint of the smart-home settings); readers refuse any other file. Pure: no Dagster.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pyarrow as pa

from synth_assets.core.identity import FileIdentity
from synth_assets.core.object_store import Location
from synth_assets.core.storage import DAY_FILE_GLOB, day_file, family_dir, read_parquet_checked
from synth_assets.smart_home.models import HOMES_SCHEMA, SCHEMA_VERSION, TABLE_SCHEMAS, SmartHomeConfig

FAMILY = "smart_home"
DIMENSION_TABLES = ("homes", "areas", "devices", "entities")


def family_path(data_dir: Location) -> Location:
    return family_dir(data_dir, FAMILY)


def table_path(data_dir: Location, table: str) -> Location:
    """A dimension table: ``<data_dir>/smart_home/<table>.parquet``."""
    return family_path(data_dir) / f"{table}.parquet"


def daily_dir(data_dir: Location, table: str) -> Location:
    return family_path(data_dir) / table


def daily_path(data_dir: Location, table: str, day: date) -> Location:
    """A daily table's file for one home-local day."""
    return day_file(daily_dir(data_dir, table), day)


def daily_glob(data_dir: Location, table: str) -> Location:
    return daily_dir(data_dir, table) / DAY_FILE_GLOB


def table_identity(table: str, config: SmartHomeConfig, schema_version: int = SCHEMA_VERSION) -> FileIdentity:
    """What a smart-home file of ``table`` made with ``config`` must carry."""
    return FileIdentity(dataset=f"{FAMILY}.{table}", schema_version=schema_version, seed=config.seed,
                        config=config.fingerprint())


def remake_hint(table: str) -> str:
    return (f"materialize smart_home/{table} with this run's seed and smart-home settings "
            f"(`dagster asset materialize -m synth_assets.definitions --select smart_home/{table}`)")


def read_table(data_dir: Location, table: str, expected_identity: FileIdentity,
               schema: pa.Schema | None = None) -> pl.DataFrame:
    """A dimension table, refused if missing, of another schema or made with another seed or config."""
    table_schema = schema if schema is not None else TABLE_SCHEMAS[table]
    return pl.from_arrow(read_parquet_checked(table_path(data_dir, table), table_schema,
                                              fix=remake_hint(table), identity=expected_identity))


def read_made(data_dir: Location, table: str, config: SmartHomeConfig, schema: pa.Schema | None = None) -> pl.DataFrame:
    """A table of the family made with ``config`` (:func:`read_table` with its :func:`table_identity`)."""
    return read_table(data_dir, table, table_identity(table, config), schema=schema)


def read_homes(data_dir: Location, expected_identity: FileIdentity) -> pl.DataFrame:
    """``smart_home.homes`` as polars, checked against ``expected_identity``."""
    return read_table(data_dir, "homes", expected_identity, HOMES_SCHEMA)
