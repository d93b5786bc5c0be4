"""Smart-home context assets: one daily-partitioned asset per table, one Parquet file per home-local day.

Each reads ``smart_home/homes`` (refused if made with another seed or config), calls its pure generator
for every day of the run, tallies the checks, writes the day's file and (re)creates the DuckDB view
``smart_home.<table>``. A backfill of any range is one run; each day is a pure function of
(seed, day, homes), so a range run writes the same bytes as one run per day.
"""

from collections.abc import Callable
from datetime import date

import dagster as dg
import polars as pl
import pyarrow as pa

from synth_assets.core import metadata as md
from synth_assets.core.partitions import daily_partitions, days_in_window
from synth_assets.core.resources import SynthSettings
from synth_assets.core.storage import remove_stale_temp_files, write_parquet_atomic
from synth_assets.smart_home import layout
from synth_assets.smart_home.context import calendar, carbon, external, pricing, weather
from synth_assets.smart_home.context import models as m
from synth_assets.smart_home.context.checks import REGIONAL_TABLES, TABLES, context_specs, context_tally
from synth_assets.smart_home.settings import SmartHomeSettings
from synth_assets.smart_home.views import publish_view

GROUP = layout.FAMILY
HOMES = dg.AssetKey([GROUP, "homes"])
KEYS = {table: dg.AssetKey([GROUP, table]) for table in TABLES}
PLOT_MAX_DAYS = 92      # a plot per run of up to a quarter; longer backfills carry the numbers only
PLOTTED_SERIES = 8

Generator = Callable[[pl.DataFrame, date, int], pa.Table]
GENERATORS: dict[str, Generator] = {
    "weather": weather.weather_day, "external_data": external.external_day, "calendar": calendar.calendar_day,
    "carbon_intensity": carbon.carbon_intensity_day, "electricity_prices": pricing.electricity_prices_day}
SCHEMAS = {"weather": m.WEATHER_SCHEMA, "external_data": m.EXTERNAL_SCHEMA, "calendar": m.CALENDAR_SCHEMA,
           "carbon_intensity": m.CARBON_SCHEMA, "electricity_prices": m.PRICE_SCHEMA}
# what the plot shows: (value column, series column, y label)
PROFILES = {"weather": ("temperature_c", "home_id", "°C"),
            "carbon_intensity": ("carbon_intensity_gco2_per_kwh", "region_id", "gCO2e/kWh"),
            "electricity_prices": ("dynamic_usd_per_kwh", "region_id", "USD/kWh (dynamic tariff)")}
DESCRIPTIONS = {
    "weather": "Hourly outdoor weather at each home over its local day: the air-quality family's weather of the "
               "home's city at that hour (same values as air_quality/hourly_measurements for the seed).",
    "external_data": "Per home and hour: sun elevation and azimuth (NOAA equations, middle of the hour), daylight, "
                     "and the city's outdoor air quality from the air-quality generator.",
    "calendar": "Per home and local day: weekend and public holiday of its country, workday, work-from-home and "
                "school days from the household's routines, vacations (per home and year).",
    "carbon_intensity": "Hourly grid carbon intensity (gCO2e/kWh) per grid region (country, time zone) over the "
                        "region's local day: a published annual mean shaped by sun, season and wind.",
    "electricity_prices": "Hourly household electricity prices per grid region: flat (published national price), "
                          "time of use (peak 16-21, off-peak 23-07) and dynamic (follows demand and carbon).",
}


def _profile_plot(table: str, frames: list[pl.DataFrame]) -> dg.MarkdownMetadataValue | None:
    if table not in PROFILES or not frames:
        return None
    value, series, unit = PROFILES[table]
    rows = pl.concat(frames)
    names = rows[series].unique().sort().head(PLOTTED_SERIES).to_list()
    profile = (rows.filter(pl.col(series).is_in(names)).group_by(series, "local_hour")
               .agg(pl.col(value).mean()).sort(series, "local_hour"))
    lines = {name: part.sort("local_hour")[value].to_list() for (name,), part in profile.group_by(series)}
    return md.line_plot(range(24), dict(sorted(lines.items())), title=f"Mean {table} by local hour",
                        xlabel="local hour", ylabel=unit)


def materialize_context(table: str, context: dg.AssetExecutionContext, settings: SynthSettings,
                        smart_home: SmartHomeSettings) -> dg.MaterializeResult:
    window = context.partition_time_window
    days = days_in_window(window.start.date(), window.end.date())
    config = smart_home.config(settings.seed)
    homes = layout.read_homes(settings.data_path, layout.table_identity("homes", config))
    regions = carbon.regions_of(homes)
    schema = SCHEMAS[table]
    identity = layout.table_identity(table, config, m.SCHEMA_VERSION)
    remove_stale_temp_files(layout.daily_dir(settings.data_path, table))
    tally = context_tally(table, homes, regions, days)
    plotted: list[pl.DataFrame] = []
    preview, total_bytes = None, 0
    for day in days:
        rows = GENERATORS[table](homes, day, settings.seed)
        frame = pl.from_arrow(rows)
        tally.add(frame)
        written = write_parquet_atomic(rows, layout.daily_path(settings.data_path, table, day), schema, identity)
        total_bytes += written.bytes
        preview = frame.head(8) if preview is None else preview
        if table in PROFILES and len(days) <= PLOT_MAX_DAYS:
            plotted.append(frame.select(PROFILES[table][1], "local_hour", PROFILES[table][0]))
    view = publish_view(settings, table, layout.daily_glob(settings.data_path, table), expected=schema,
                        identity=identity, fix=layout.remake_hint(table))
    context.log.info(f"smart_home.{table}: {tally.rows:,} rows in {len(days)} day file(s)")
    metadata: dict[str, object] = {
        **md.table_metadata(schema, tally.rows, preview), "days_in_run": len(days), "bytes_in_run": total_bytes,
        "homes": homes.height, "directory": dg.MetadataValue.path(str(layout.daily_dir(settings.data_path, table))),
        "table": f"{GROUP}.{table}", "duckdb_view": view}
    if table in REGIONAL_TABLES:
        metadata["grid_regions"] = regions.height
    plot = _profile_plot(table, plotted)
    if plot is not None:
        metadata["mean_daily_profile"] = plot
    return dg.MaterializeResult(metadata=metadata, check_results=tally.results())


def _context_asset(table: str) -> dg.AssetsDefinition:
    @dg.asset(key=KEYS[table], group_name=GROUP, kinds={"numpy", "parquet", "duckdb"}, deps=[HOMES], pool="duckdb",
              partitions_def=daily_partitions, backfill_policy=dg.BackfillPolicy.single_run(),
              check_specs=context_specs(table, KEYS[table]), description=DESCRIPTIONS[table])
    def context_asset(context: dg.AssetExecutionContext, settings: SynthSettings,
                      smart_home: SmartHomeSettings) -> dg.MaterializeResult:
        return materialize_context(table, context, settings, smart_home)

    return context_asset


CONTEXT_ASSETS = [_context_asset(table) for table in TABLES]
