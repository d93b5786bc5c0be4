"""Smart-home export assets: ``smart_home/ha_export`` (Home Assistant config directories),
``smart_home/automations`` and ``smart_home/home_descriptions`` (tables).

``ha_export`` is partitioned like ``smart_home/events``: a run over a partition range exports that span
of home-local days for the homes chosen by ``SmartHomeSettings.ha_export_homes`` (default: the first
home), each under ``<data_dir>/smart_home/ha/<home_id>/``, replacing the home's previous export. A
missing events partition is an error naming the days and the command that makes them. With an ``s3://``
data directory each home's directory is built in a local temporary directory, checked there, and uploaded
as one object ``<data_dir>/smart_home/ha/<home_id>.tar`` (written whole, replaced whole; its members are the
files a local export writes, byte for byte).
"""


import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl

from synth_assets.air_quality.cities import select_cities
from synth_assets.core import files
from synth_assets.core import metadata as md
from synth_assets.core.object_store import Location, S3Path
from synth_assets.core.partitions import daily_partitions, days_in_window
from synth_assets.core.resources import SynthSettings
from synth_assets.core.storage import atomic_path, read_parquet_checked, write_parquet_atomic
from synth_assets.smart_home import layout
from synth_assets.smart_home.assets import CITY_MODE
from synth_assets.smart_home.events.models import EVENTS_SCHEMA_VERSION
from synth_assets.smart_home.export import registries
from synth_assets.smart_home.export.automations import (
    AUTOMATION_COLUMNS,
    automation_rows,
    entity_kinds,
    home_automations,
)
from synth_assets.smart_home.export.checks import (
    export_results,
    export_specs,
    recorder_row_counts,
    table_results,
    table_specs,
)
from synth_assets.smart_home.export.descriptions import DESCRIPTION_COLUMNS, describe_homes, openai_rewriter
from synth_assets.smart_home.export.home_export import (
    ARCHIVE_SUFFIX,
    HomeTables,
    check_days,
    export_home,
    remove_stale_builds,
    write_archive,
)
from synth_assets.smart_home.export.recorder import DATABASE_NAME
from synth_assets.smart_home.models import CORRELATIONS_SCHEMA, EVENTS_SCHEMA, SmartHomeConfig
from synth_assets.smart_home.people import occupants
from synth_assets.smart_home.settings import SmartHomeSettings
from synth_assets.smart_home.views import publish_view

GROUP = layout.FAMILY
KEYS = {name: dg.AssetKey([GROUP, name]) for name in ("ha_export", "automations", "home_descriptions")}
UPSTREAM = {name: dg.AssetKey([GROUP, name]) for name in ("homes", "areas", "devices", "entities", "correlations",
                                                           "events")}
EXPORT_DIR = "ha"


class MissingEventsPartitionError(FileNotFoundError):
    """Days of ``smart_home.events`` the export needs have not been materialized."""


class UnknownHomeError(ValueError):
    """``ha_export_homes`` names a home that ``smart_home.homes`` does not have."""


def export_root(data_dir: Location) -> Location:
    return layout.family_path(data_dir) / EXPORT_DIR


def export_archive(data_dir: S3Path, home_id: str) -> S3Path:
    """One home's export on an object store: a tar of its directory (an object store cannot swap a directory)."""
    return export_root(data_dir) / f"{home_id}{ARCHIVE_SUFFIX}"


@contextmanager
def build_root(data_dir: Location) -> Iterator[Path]:
    """Where the homes' directories are written: the export root (its stale builds removed), or over S3 a
    local temporary directory, removed afterwards."""
    if not isinstance(data_dir, S3Path):
        remove_stale_builds(export_root(data_dir))
        yield export_root(data_dir)
        return
    with tempfile.TemporaryDirectory(prefix="synth-ha-export-") as directory:
        yield Path(directory)


def publish_export(data_dir: Location, directory: Path) -> Location:
    """Where a home's export now is: its directory on disk, or its archive object, uploaded whole, over S3."""
    if not isinstance(data_dir, S3Path):
        return directory
    archive = export_archive(data_dir, directory.name)
    with atomic_path(archive) as local:
        write_archive(directory, local)
    return archive



def _correlations(settings: SynthSettings, config: SmartHomeConfig) -> pl.DataFrame:
    return layout.read_made(settings.data_path, "correlations", config, schema=CORRELATIONS_SCHEMA)


def events_command(days: list[date]) -> str:
    span = days[0].isoformat() if len(days) == 1 else f"{days[0].isoformat()}...{days[-1].isoformat()}"
    flag = "--partition" if len(days) == 1 else "--partition-range"
    return f"dagster asset materialize -m synth_assets.definitions --select smart_home/events {flag} {span}"


def read_events(settings: SynthSettings, config: SmartHomeConfig, days: list[date],
                home_ids: list[str]) -> pl.DataFrame:
    """The chosen homes' events over ``days``; every missing day is named before anything is read."""
    paths = [layout.daily_path(settings.data_path, "events", day) for day in days]
    missing = files.missing_days(days, paths)
    if missing:
        raise MissingEventsPartitionError(
            f"smart_home.events has no partition for {', '.join(d.isoformat() for d in missing)}, which "
            f"smart_home/ha_export needs. Make them with: {events_command(missing)}")
    identity = layout.table_identity("events", config, EVENTS_SCHEMA_VERSION)
    frames = [pl.from_arrow(read_parquet_checked(path, EVENTS_SCHEMA, identity=identity,
                                                 fix=f"re-run: {events_command([day])}"))
              .filter(pl.col("home_id").is_in(home_ids)) for day, path in zip(days, paths, strict=True)]
    return pl.concat(frames)


def chosen_homes(homes: pl.DataFrame, wanted: list[str] | None) -> pl.DataFrame:
    if not wanted:
        return homes.head(1)
    unknown = sorted(set(wanted) - set(homes["home_id"].to_list()))
    if unknown:
        raise UnknownHomeError(f"ha_export_homes names {unknown}, which smart_home.homes does not have "
                               f"({homes.height} homes: {homes['home_id'][0]} .. {homes['home_id'][-1]})")
    return homes.filter(pl.col("home_id").is_in(wanted))


@dg.asset(key=KEYS["ha_export"], group_name=GROUP, kinds={"sqlite", "json", "yaml"},
          deps=[UPSTREAM["events"], UPSTREAM["correlations"], UPSTREAM["entities"]],
          partitions_def=daily_partitions, backfill_policy=dg.BackfillPolicy.single_run(),
          check_specs=export_specs(KEYS["ha_export"]),
          description="Home Assistant 2024.3 configuration directories per home (.storage registries, recorder "
                      "home-assistant_v2.db with states and statistics, configuration.yaml, automations.yaml) "
                      "for the run's span of event days, under <data_dir>/smart_home/ha/<home_id>/ (on s3://, one "
                      "<home_id>.tar object each).")
def ha_export(context: dg.AssetExecutionContext, settings: SynthSettings,
              smart_home: SmartHomeSettings) -> dg.MaterializeResult:
    window = context.partition_time_window
    days = check_days(days_in_window(window.start.date(), window.end.date()))
    config = smart_home.config(settings.seed)
    homes = chosen_homes(layout.read_made(settings.data_path, "homes", config), smart_home.ha_export_homes)
    home_ids = homes["home_id"].to_list()
    events = read_events(settings, config, days, home_ids)
    parents = {t: layout.read_made(settings.data_path, t, config).filter(pl.col("home_id").is_in(home_ids))
               for t in ("areas", "devices", "entities")}
    rules = _correlations(settings, config).filter(pl.col("home_id").is_in(home_ids))
    people = occupants(config.seed, homes)
    cities = select_cities(CITY_MODE)
    altitude = dict(zip(cities["city_id"].to_list(), cities["altitude_m"].to_list(), strict=True))
    altitude_source = dict(zip(cities["city_id"].to_list(), cities["altitude_source"].to_list(), strict=True))
    storages, counts = {}, []
    with build_root(settings.data_path) as root:
        for home in homes.iter_rows(named=True):  # a few homes per run; each home's work is vectorised
            def mine(frame: pl.DataFrame, home_id: str = home["home_id"]) -> pl.DataFrame:
                return frame.filter(pl.col("home_id") == home_id)

            tables = HomeTables(home=home, elevation_m=float(altitude[home["city_id"]]),
                                areas=mine(parents["areas"]), devices=mine(parents["devices"]),
                                entities=mine(parents["entities"]), people=mine(people), events=mine(events),
                                correlations=mine(rules), elevation_source=altitude_source[home["city_id"]])
            exported = export_home(root, config.seed, days, tables)
            storages[home["home_id"]] = exported.storage
            counts.append({**recorder_row_counts(home["home_id"], tables.events,  # the file, after the rename
                                                 exported.directory / DATABASE_NAME),
                           "automations": exported.automations.height})
            published = publish_export(settings.data_path, exported.directory)
            context.log.info(f"Home Assistant export of {home['home_id']}: {published}")
    rows = pl.DataFrame(counts)
    return dg.MaterializeResult(
        metadata={"directory": dg.MetadataValue.path(str(export_root(settings.data_path))), "homes": len(home_ids),
                  "days": len(days), "first_day": days[0].isoformat(), "last_day": days[-1].isoformat(),
                  "rows_per_home": md.markdown_preview(rows, rows=20)},
        check_results=export_results(storages, rows))


def _publish(settings: SynthSettings, config: SmartHomeConfig, table: str, frame: pl.DataFrame) -> dict:
    identity = layout.table_identity(table, config)
    path = layout.table_path(settings.data_path, table)
    written = write_parquet_atomic(frame.to_arrow(), path, identity=identity)
    schema = frame.to_arrow().schema
    view = publish_view(settings, table, path, expected=schema, identity=identity, fix=layout.remake_hint(table))
    return {**md.table_metadata(schema, written.rows, frame.head(8)), "path": str(path), "table": f"{GROUP}.{table}",
            "duckdb_view": view}


@dg.asset(key=KEYS["automations"], group_name=GROUP, kinds={"polars", "parquet", "yaml"}, pool="duckdb",
          deps=[UPSTREAM["correlations"], UPSTREAM["entities"]],
          check_specs=table_specs("automations", KEYS["automations"]),
          description="Home Assistant 2024.3 automations of every home from its planted rules (one per rule and "
                      "per chain link; id = rule_id): home_id, automation_id, alias and the YAML.")
def automations(context: dg.AssetExecutionContext, settings: SynthSettings,
                smart_home: SmartHomeSettings) -> dg.MaterializeResult:
    config = smart_home.config(settings.seed)
    entities, devices = (layout.read_made(settings.data_path, t, config) for t in ("entities", "devices"))
    names = dict(zip(entities["entity_id"].to_list(),
                     registries.friendly_names(entities, devices).to_list(), strict=True))
    rules = _correlations(settings, config)
    kinds = entity_kinds(entities)
    frames = [automation_rows(str(home_id), home_automations(part, names, kinds))
              for (home_id,), part in rules.group_by("home_id", maintain_order=True)]
    frame = pl.concat(frames) if frames else pl.DataFrame(schema={c: pl.String for c in AUTOMATION_COLUMNS})
    frame = frame.sort("home_id", "automation_id")
    results = table_results("automations", frame, layout.read_made(settings.data_path, "homes", config), rules)
    context.log.info(f"smart_home.automations: {frame.height:,} automations")
    return dg.MaterializeResult(metadata=_publish(settings, config, "automations", frame), check_results=results)


@dg.asset(key=KEYS["home_descriptions"], group_name=GROUP, kinds={"polars", "parquet"}, pool="duckdb",
          deps=[UPSTREAM["devices"]], check_specs=table_specs("home_descriptions", KEYS["home_descriptions"]),
          description="A natural-language description of each home from templates (deterministic, offline); "
                      "optionally rewritten by an OpenAI-compatible endpoint (off by default).")
def home_descriptions(context: dg.AssetExecutionContext, settings: SynthSettings,
                      smart_home: SmartHomeSettings) -> dg.MaterializeResult:
    config = smart_home.config(settings.seed)
    homes, areas, devices = (layout.read_made(settings.data_path, t, config) for t in ("homes", "areas", "devices"))
    endpoint = smart_home.openai_endpoint()
    if endpoint is None:
        frame = describe_homes(homes, areas, devices)
    else:
        frame = describe_homes(homes, areas, devices, rewrite=openai_rewriter(endpoint), backend="openai",
                               model=endpoint.model)
    frame = frame.cast(DESCRIPTION_COLUMNS)
    results = table_results("home_descriptions", frame, homes)
    context.log.info(f"smart_home.home_descriptions: {frame.height:,} homes ({frame['backend'][0]})")
    return dg.MaterializeResult(metadata=_publish(settings, config, "home_descriptions", frame),
                                check_results=results)


EXPORT_ASSETS = [ha_export, automations, home_descriptions]
