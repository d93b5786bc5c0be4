"""Air-quality assets: thin wrappers that read settings, call the pure generators and write files."""

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

import dagster as dg
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from synth_assets.air_quality import checks as aq_checks
from synth_assets.air_quality import effects, layout
from synth_assets.air_quality.cities import select_cities
from synth_assets.air_quality.measurements import (
    CITY_COLUMNS,
    HOURS_PER_DAY,
    MEASURED_COLUMNS,
    day_slices,
    iter_hourly_chunks,
    with_city_columns,
)
from synth_assets.air_quality.models import CITY_SCHEMA, COLUMN_DESCRIPTIONS, MEASUREMENT_SCHEMA
from synth_assets.core import files, object_store
from synth_assets.core import metadata as md
from synth_assets.core.backfill import daily_backfill_policy
from synth_assets.core.concurrency import prefetch, prefetched
from synth_assets.core.partitions import (
    daily_partitions,
    daily_to_yearly,
    days_in_window,
    last_complete_day,
    yearly_partitions,
)
from synth_assets.core.resources import SynthSettings, duckdb_resource
from synth_assets.core.storage import (
    CorruptFileError,
    create_parquet_view,
    read_parquet_checked,
    read_parquet_files_with_footers,
    remove_stale_temp_files,
    write_parquet_atomic,
)

GROUP = "air_quality"
CITY_PROFILES = dg.AssetKey([GROUP, "city_profiles"])
HOURLY = dg.AssetKey([GROUP, "hourly_measurements"])
YEARLY = dg.AssetKey([GROUP, "yearly_measurements"])
PLOTTED_CITIES = 10
PLOT_MAX_DAYS = 92  # every partition of a run carries its metadata: no PNG on each of 1,827 days
_SELECT = "dagster asset materialize -m synth_assets.definitions --select"


@dg.asset(
    key=CITY_PROFILES, group_name=GROUP, kinds={"python", "parquet"},
    description="The cities of the configured mode (sample: the seed's 10; full: 300 real cities "
                "from GeoNames) with coordinates, time zone, coastal/industrial flags and base level.",
)
def city_profiles(settings: SynthSettings) -> dg.MaterializeResult:
    cities = select_cities(settings.air_quality_mode)
    mode = settings.air_quality_mode
    written = write_parquet_atomic(cities.to_arrow(), layout.city_profiles_path(settings.data_path, mode), CITY_SCHEMA,
                                   layout.city_profiles_identity(mode))
    return dg.MaterializeResult(metadata={
        **md.table_metadata(CITY_SCHEMA, written.rows, cities.sort("population", descending=True)),
        "mode": settings.air_quality_mode,
        "path": dg.MetadataValue.path(str(written.path)),
        "countries": cities["country_code"].n_unique(),
        "coastal_cities": int(cities["coastal"].sum()),
        "industrial_cities": int(cities["industrial"].sum()),
    })


def _fix(settings: SynthSettings, selection: str) -> str:
    """The command that re-makes a file with this run's seed and mode."""
    return (f"SYNTH_SEED={settings.seed} SYNTH_AIR_QUALITY_MODE={settings.air_quality_mode} "
            f"{_SELECT} {selection}")


def read_city_profiles(settings: SynthSettings) -> pl.DataFrame:
    path = layout.city_profiles_path(settings.data_path, settings.air_quality_mode)
    table = read_parquet_checked(path, CITY_SCHEMA, fix=_fix(settings, CITY_PROFILES.to_user_string()),
                                 identity=layout.city_profiles_identity(settings.air_quality_mode))
    return pl.from_arrow(table).sort("city_id")


@dg.asset(
    key=HOURLY, group_name=GROUP, kinds={"numpy", "parquet"}, deps=[CITY_PROFILES],
    partitions_def=daily_partitions, backfill_policy=daily_backfill_policy(),  # SYNTH_BACKFILL_POLICY
    check_specs=aq_checks.integrity_specs(HOURLY),
    description="Hourly measurements of every city, one Parquet file per UTC day. A backfill is one run "
                "(or runs of N days: SYNTH_BACKFILL_POLICY); each day is a pure function of (seed, day, mode).",
)
def hourly_measurements(context: dg.AssetExecutionContext, settings: SynthSettings) -> dg.MaterializeResult:
    window = context.partition_time_window
    start, end = window.start.date(), window.end.date()
    mode, data_dir = settings.air_quality_mode, settings.data_path
    cities = read_city_profiles(settings)
    identity = layout.hourly_identity(settings.seed, mode)
    remove_stale_temp_files(layout.hourly_dir(data_dir, mode))
    tally = aq_checks.IntegrityTally(cities["city_id"])
    hour_sums = np.zeros((cities.height, 24))
    plot = (end - start).days <= PLOT_MAX_DAYS
    days_written = total_bytes = 0
    preview = None
    for first_day, n_days, chunk, grid in prefetch(_chunks_and_grids(cities, start, end, settings.seed)):
        tally.add(chunk)
        if plot:
            hour_sums += effects.sums_by_local_hour(grid)
        # each day's effect sums go into its file, so the yearly roll-up adds them up instead of re-measuring
        day_sums, day_fingerprints = effects.effect_sums(grid, n_days), effects.fingerprints(chunk, n_days)
        for i, (day, day_table) in enumerate(day_slices(chunk, first_day, n_days, cities.height)):
            written = write_parquet_atomic(
                day_table, layout.daily_path(data_dir, mode, day), MEASUREMENT_SCHEMA, identity,
                {effects.EFFECT_SUMS_KEY: effects.effect_sums_record(day_sums[i], day_fingerprints[i])})
            days_written, total_bytes = days_written + 1, total_bytes + written.bytes
        preview = preview if preview is not None else pl.from_arrow(chunk.slice(0, 8))
        if first_day.year != (first_day + timedelta(days=n_days)).year or days_written == (end - start).days:
            last_day = first_day + timedelta(days=n_days - 1)
            context.log.info(f"wrote {days_written}/{(end - start).days} days up to {last_day}")
    rows_per_day = HOURS_PER_DAY * cities.height
    return dg.MaterializeResult(
        metadata={
            **md.table_metadata(MEASUREMENT_SCHEMA, rows_per_day, preview, COLUMN_DESCRIPTIONS),
            "rows_in_run": tally.rows, "days_in_run": days_written, "bytes_in_run": total_bytes,
            "mode": mode, "seed": settings.seed,
            "directory": dg.MetadataValue.path(str(layout.hourly_dir(data_dir, mode))),
            "diurnal_profile": (_diurnal_plot(cities, hour_sums / (tally.rows / rows_per_day)) if plot else
                                dg.MetadataValue.md(f"Plotted for runs of up to {PLOT_MAX_DAYS} days; "
                                                    f"see {YEARLY.to_user_string()} for every year.")),
        },
        check_results=tally.results(),
    )


def _chunks_and_grids(cities: pl.DataFrame, start: date, end: date, seed: int):
    """The generator's chunks, each with its grid (made in the prefetch thread too)."""
    for first_day, n_days, chunk in iter_hourly_chunks(cities, start, end, seed):
        yield first_day, n_days, chunk, effects.to_grid(chunk, cities)


def _diurnal_plot(cities: pl.DataFrame, mean_by_hour: np.ndarray) -> dg.MarkdownMetadataValue:
    """``mean_by_hour`` has one row per row of ``cities``; the most populous of them are drawn."""
    order = np.argsort(-cities["population"].to_numpy(), kind="stable")[:PLOTTED_CITIES]
    names = cities["name"].to_list()
    return md.line_plot(range(24), {names[i]: mean_by_hour[i] for i in order},
                        title="Mean PM2.5 by local hour", xlabel="local hour", ylabel="PM2.5 µg/m³")


def year_days(year: int, today: date | None = None) -> list[date]:
    """The days of ``year`` that are daily partitions already (the current year is still growing)."""
    end = min(date(year + 1, 1, 1), last_complete_day() + timedelta(days=1) if today is None else today)
    return days_in_window(date(year, 1, 1), end)


def read_year(settings: SynthSettings, year: int, cities: pl.DataFrame) -> tuple[pa.Table, list]:
    """Concatenate the daily files of ``year`` (and return their footers); a missing or corrupt file is a
    clear error.

    Only the measured columns are decoded (the city's name, country and position take a third of the
    decoding): they are taken from the city profiles, and checked against the year's first file, which
    holds every city."""
    mode, data_dir = settings.air_quality_mode, settings.data_path
    days = year_days(year)
    paths = [layout.daily_path(data_dir, mode, d) for d in days]
    missing = files.missing_days(days, paths)   # on S3 one listing, not a request per day
    if missing:
        shown = ", ".join(f"{d}" for d in missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise CorruptFileError(
            f"{HOURLY.to_user_string()} has no file for {shown} (mode {mode!r}, under "
            f"{layout.hourly_dir(data_dir, mode)}). Fix: {_SELECT} {HOURLY.to_user_string()} "
            f"--partition-range {missing[0]}...{missing[-1]}")
    identity = layout.hourly_identity(settings.seed, mode)

    def fix(path) -> str:
        return _fix(settings, f"{HOURLY.to_user_string()} --partition {path.stem}")

    measured, footers = read_parquet_files_with_footers(  # each file's footer checked before any is decoded
        paths, MEASUREMENT_SCHEMA, fix=fix, identity=identity, columns=MEASURED_COLUMNS)
    table = with_city_columns(measured, cities)
    if not paths:
        return table, footers
    city_columns = list(CITY_COLUMNS)
    first = read_parquet_checked(paths[0], MEASUREMENT_SCHEMA, fix=fix(paths[0]), identity=identity)
    if not table.select(city_columns).slice(0, first.num_rows).equals(first.select(city_columns)):
        raise CorruptFileError(
            f"{paths[0]} does not hold the city columns of {layout.city_profiles_path(data_dir, mode)} (or its "
            f"rows are out of (timestamp, city_id) order). Fix: {_fix(settings, CITY_PROFILES.to_user_string())}, then "
            f"{_fix(settings, f'{HOURLY.to_user_string()} --partition-range {days[0]}...{days[-1]}')}")
    return table, footers


@dataclass(frozen=True)
class Year:
    """A year's rows in (timestamp, city_id) order and what its checks and metadata need."""

    table: pa.Table
    observed_effects: dict[str, float | None]
    pm25_by_city: np.ndarray  # mean PM2.5 of every city, in city_id order
    plotted: effects.Grid | None  # the most populous cities, for the plots; None unless a complete grid
    days_measured_anew: list[date]  # days whose file held no effect sums valid for its rows


def read_and_measure_year(settings: SynthSettings, year: int, cities: pl.DataFrame) -> Year:
    """Read a year and measure its effects: summed from each day's stored sums when every day has sums
    that match its rows (fingerprint), else measured on the year's rows (older files, edited files)."""
    table, footers = read_year(settings, year, cities)
    rows_per_day = HOURS_PER_DAY * cities.height
    records = [(f.metadata or {}).get(effects.EFFECT_SUMS_KEY.encode()) if f.num_rows == rows_per_day else None
               for f in footers]
    if table.num_rows == rows_per_day * len(footers) and any(r is not None for r in records):
        day_sums, valid = effects.stored_effect_sums(records, effects.fingerprints(table, len(footers)))
    else:
        day_sums, valid = None, np.zeros(len(footers), dtype=bool)
    table = sorted_by_time_and_city(table)
    top = cities.sort("population", descending=True).head(PLOTTED_CITIES)["city_id"]
    columns = ["timestamp", "city_id", *effects.GRID_COLUMNS, *effects.POLLUTANTS[1:]]
    plotted_rows = table.select(columns).filter(pc.is_in(table["city_id"], value_set=top.to_arrow()))
    try:
        if len(valid) and valid.all():
            observed = effects.effects_from_sums(day_sums.sum(axis=0))
        else:
            observed = effects.measure_effects(effects.to_grid(table, cities))
        plotted, pm25_by_city = effects.to_grid(plotted_rows, cities), effects.pm25_means_by_city(table, cities.height)
    except effects.IncompleteGridError:  # a row missing, doubled or of another city: the integrity checks fail
        observed, plotted = dict.fromkeys(effects.expected_effects()), None
        pm25_by_city = np.full(cities.height, np.nan)
    return Year(table, observed, pm25_by_city, plotted, [d for d, ok in zip(year_days(year), valid) if not ok])


def sorted_by_time_and_city(table: pa.Table) -> pa.Table:
    """The table in (timestamp, city_id) order; daily files already are, so usually no sort."""
    if aq_checks.in_time_and_city_order(table):
        return table
    return table.sort_by([("timestamp", "ascending"), ("city_id", "ascending")])


@contextmanager
def arrow_memory_pool(pool: pa.MemoryPool) -> Iterator[None]:
    """Arrow allocates from ``pool`` inside the block (the previous default pool is restored after it).

    The roll-up decodes and encodes about 300 MB of Arrow buffers per year. Arrow's default mimalloc pool
    hands freed pages back to the system at once, so every year faults them in again, and with transparent
    huge pages the kernel zeroes 2 MB per fault: 15-20 % of the roll-up's CPU in `perf` (bench/rollup.py).
    The system allocator keeps and reuses them. Buffers remember their pool: freeing later is safe."""
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pool)
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


@dg.asset(
    key=YEARLY, group_name=GROUP, kinds={"parquet", "duckdb"},
    deps=[dg.AssetDep(HOURLY, partition_mapping=daily_to_yearly), CITY_PROFILES],
    partitions_def=yearly_partitions, backfill_policy=dg.BackfillPolicy.single_run(), pool="duckdb",
    check_specs=aq_checks.integrity_specs(YEARLY) + aq_checks.distribution_specs(YEARLY),
    description="One snappy Parquet file per year, sorted by (timestamp, city_id), published only if "
                "its checks pass; the DuckDB view air_quality.measurements spans all years.",
)
def yearly_measurements(context: dg.AssetExecutionContext, settings: SynthSettings):
    mode, data_dir = settings.air_quality_mode, settings.data_path
    window = context.partition_time_window
    cities = read_city_profiles(settings)
    years = range(window.start.year, window.end.year)
    per_check: dict[str, list[tuple[int, dg.AssetCheckResult]]] = {}
    written_files, monthly, hour_sums = [], [], np.zeros((min(PLOTTED_CITIES, cities.height), 24))
    pm25_vs_published = []  # per year: generated against published annual mean PM2.5 (issue 13)

    def published(writing: Future) -> None:
        written_files.append(writing.result())
        context.log.info(f"published {written_files[-1].path} ({written_files[-1].rows:,} rows)")

    # Year y + 1 is read (and gridded) and year y - 1 written while year y is checked: Parquet decoding and
    # encoding and numpy release the GIL. A year is written only after its checks passed, and waited for
    # before failing.
    with arrow_memory_pool(pa.system_memory_pool()), \
            prefetched(read_and_measure_year(settings, year, cities) for year in years) as prepared, \
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="write") as writer:
        writing = None
        for year, measured in zip(years, prepared):
            table, plotted = measured.table, measured.plotted
            if measured.days_measured_anew:
                days = measured.days_measured_anew
                context.log.warning(
                    f"{len(days)} daily file(s) of {year} hold no effect sums valid for their rows (written by an "
                    f"older version, or edited): the distribution checks measured the year's rows instead (slower). "
                    f"Fix: {_fix(settings, f'{HOURLY.to_user_string()} --partition-range {days[0]}...{days[-1]}')}")
            tally = aq_checks.IntegrityTally(cities["city_id"])
            tally.add(table)
            worst = effects.worst_pm25_ratio(cities, measured.pm25_by_city, table.num_rows // cities.height)
            results = tally.results() + aq_checks.distribution_results_of(measured.observed_effects, worst,
                                                                          rows=table.num_rows)
            for result in results:
                per_check.setdefault(result.check_name, []).append((year, result))
            if writing is not None:
                published(writing)
                writing = None
            if plotted is None and not aq_checks.failed(results):
                raise ValueError(f"year {year} is not a complete (timestamp, city_id) grid, yet its checks passed")
            if aq_checks.failed(results):
                for result in _combine(per_check):
                    yield result
                raise dg.Failure(
                    description=f"year {year} failed blocking checks {aq_checks.failed(results)}; "
                                f"its previous file (if any) is left unchanged",
                    metadata={"year": year})
            writing = writer.submit(write_parquet_atomic, table, layout.yearly_path(data_dir, mode, year),
                                    MEASUREMENT_SCHEMA, layout.yearly_identity(settings.seed, mode))
            monthly.append(_monthly_means(plotted))
            pm25_vs_published.append(effects.annual_pm25_vs_published(cities, measured.pm25_by_city)
                                     .with_columns(year=pl.lit(year)))
            hour_sums = hour_sums + effects.sums_by_local_hour(plotted) / (plotted.values["pm25"].shape[1] / 24)
        plots = {"monthly_pm25": _monthly_plot(pl.concat(monthly), cities),   # drawn while the last year is written
                 "diurnal_profile": _diurnal_plot(plotted.cities, hour_sums / len(monthly))}
        if writing is not None:
            published(writing)
    views_problem = object_store.duckdb_views_problem(data_dir)  # None on local disk; on S3 httpfs is needed
    if views_problem:
        context.log.warning(views_problem)
    else:
        with duckdb_resource(settings).get_connection() as connection:  # the run's data dir, not the import's
            create_parquet_view(connection, GROUP, "measurements", layout.yearly_glob(data_dir, mode),
                                MEASUREMENT_SCHEMA, layout.yearly_identity(settings.seed, mode),
                                fix=_fix(settings, f"{YEARLY.to_user_string()} --partition <that year>"))
            create_parquet_view(connection, GROUP, "city_profiles", layout.city_profiles_path(data_dir, mode),
                                CITY_SCHEMA, layout.city_profiles_identity(mode),
                                fix=_fix(settings, CITY_PROFILES.to_user_string()))
    yield dg.MaterializeResult(
        metadata={
            **md.table_metadata(MEASUREMENT_SCHEMA, written_files[-1].rows, pl.from_arrow(table.slice(0, 8)),
                                COLUMN_DESCRIPTIONS),
            "rows_in_run": sum(f.rows for f in written_files),
            "bytes_in_run": sum(f.bytes for f in written_files),
            "files": dg.MetadataValue.md("\n".join(f"- `{f.path}` ({f.rows:,} rows, {f.bytes:,} bytes)"
                                                   for f in written_files)),
            "duckdb_view": views_problem or f"{GROUP}.measurements in {settings.duckdb_path}",
            "mode": mode, "seed": settings.seed,
            **plots,
            "annual_pm25_vs_published": md.markdown_preview(pl.concat(pm25_vs_published),
                                                            rows=cities.height * len(pm25_vs_published)),
        },
        check_results=_combine(per_check),
    )


def _monthly_means(grid: effects.Grid) -> pl.DataFrame:
    """Mean PM2.5 per city and UTC month, summed over the grid's hour columns month by month."""
    months = grid.hours.astype("datetime64[M]")
    starts = np.flatnonzero(np.r_[True, months[1:] != months[:-1]])
    means = np.add.reduceat(grid.values["pm25"], starts, axis=1) / np.diff(np.r_[starts, len(months)])
    n_cities, n_months = means.shape
    return pl.DataFrame({
        "city_id": np.repeat(grid.cities["city_id"].to_numpy(), n_months),
        "month": pl.Series(np.tile(months[starts], n_cities).astype("datetime64[us]")).dt.replace_time_zone("UTC"),
        "pm25": means.ravel(),
    })


def _monthly_plot(monthly: pl.DataFrame, cities: pl.DataFrame) -> dg.MarkdownMetadataValue:
    top = cities.sort("population", descending=True).head(PLOTTED_CITIES)
    months = monthly["month"].unique().sort()
    series = {}
    for city_id, name in top.select("city_id", "name").iter_rows():
        rows = monthly.filter(pl.col("city_id") == city_id).sort("month")
        series[name] = rows["pm25"].to_list()
    return md.line_plot(months.to_list(), series, title="Monthly mean PM2.5", xlabel="month",
                        ylabel="PM2.5 µg/m³")


def _combine(per_check: dict[str, list[tuple[int, dg.AssetCheckResult]]]) -> list[dg.AssetCheckResult]:
    """One result per check for a run over several years: it passes only if every year passed."""
    combined = []
    for name, results in per_check.items():
        passed = all(r.passed for _, r in results)
        worst = next((r for _, r in results if not r.passed), results[-1][1])
        metadata = {f"{key}/{year}": value for year, r in results for key, value in r.metadata.items()}
        combined.append(dg.AssetCheckResult(
            check_name=name, passed=passed, severity=worst.severity, metadata=metadata,
            description=f"years {results[0][0]}-{results[-1][0]}: {worst.description}"))
    return combined
