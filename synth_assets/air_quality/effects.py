"""Measure the seed's effects on generated data, to compare against the factors in ``models``.

Each measurement divides out the other, independently specified effects (using the same pattern
functions as the generator) and compares group means, so an effect is measured on its own. All
functions are pure: arrays in, floats out; ``None`` means the data holds nothing to measure on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from synth_assets.air_quality import models as m
from synth_assets.air_quality import patterns
from synth_assets.core.calendar import LocalCalendar, local_calendar, summer_mask, weekend_mask, winter_mask

P = m.PATTERNS
GRID_COLUMNS = ("pm25", "wind_speed_kmh", "is_raining")
"""The columns the effects are measured on cell by cell; the pollutants enter as totals only."""
POLLUTANTS = ("pm25", *P.pollutant_ratios)


@dataclass(frozen=True)
class Grid:
    """Measurements as (cities, hours) arrays plus the city attributes, for complete data.

    ``hourly_totals`` holds each pollutant summed over the cities at every hour (shape (hours,)).
    """

    values: dict[str, np.ndarray]
    calendar: LocalCalendar
    cities: pl.DataFrame
    hourly_totals: dict[str, np.ndarray]
    hours: np.ndarray  # the UTC hour of each column (datetime64[h])

    def city(self, name: str) -> np.ndarray:
        return self.cities[name].to_numpy()[:, None]


class IncompleteGridError(ValueError):
    """Rows are missing, doubled or of a city without a profile: there is no (cities, hours) grid."""


def to_grid(table: pa.Table, cities: pl.DataFrame) -> Grid:
    """Reshape a (timestamp, city_id)-ordered table with every city at every hour into a grid."""
    city_ids = table["city_id"]
    ids = pc.unique(city_ids).to_numpy()
    cities = cities.filter(pl.col("city_id").is_in(ids.tolist())).sort("city_id")
    n_cities = cities.height
    if n_cities == 0 or table.num_rows % n_cities or not np.array_equal(
            city_ids.slice(0, n_cities).to_numpy(), cities["city_id"].to_numpy()):
        raise IncompleteGridError("table is not a complete (timestamp, city_id) grid")
    n_hours = table.num_rows // n_cities
    values = {name: _cities_by_hours(table[name], n_cities, n_hours) for name in GRID_COLUMNS}
    totals = {name: table[name].to_numpy().reshape(n_hours, n_cities).sum(axis=1) for name in POLLUTANTS}
    hours = table["timestamp"].to_numpy()[::n_cities].astype("datetime64[h]")
    return Grid(values, local_calendar(hours, cities["timezone"].to_list()), cities, totals, hours)


def _cities_by_hours(column: pa.ChunkedArray, n_cities: int, n_hours: int) -> np.ndarray:
    """A (timestamp, city_id)-ordered column as a C-ordered (cities, hours) array, like the calendar's.

    Filled chunk by chunk (a daily file is whole hours), so the transposition runs in cache-sized pieces.
    """
    out = np.empty((n_cities, n_hours), dtype=column.type.to_pandas_dtype())
    hour = 0
    for chunk in column.chunks:
        if len(chunk) % n_cities:
            return np.ascontiguousarray(column.to_numpy().reshape(n_hours, n_cities).T)
        step = len(chunk) // n_cities
        out[:, hour:hour + step] = chunk.to_numpy(zero_copy_only=False).reshape(step, n_cities).T
        hour += step
    return out


def _factors(grid: Grid) -> dict[str, np.ndarray]:
    """Each specified effect on the grid, computed once by the generator's own pattern functions."""
    return {
        "geographic": patterns.geographic_factor(grid.city("coastal"), grid.city("industrial")),
        "temporal": patterns.temporal_factor(grid.calendar, grid.city("latitude"),
                                             grid.cities["country_code"].to_list()),
        "wind": patterns.wind_factor(grid.values["wind_speed_kmh"]),
        "rain": np.where(grid.values["is_raining"], P.rain_factor, 1.0),
    }


# --- additive sums ---------------------------------------------------------------------------------
# Each effect is a ratio of two group means of PM2.5 with the other, independently specified effects
# divided out: mean over the numerator cells / mean over the denominator cells. Sums and counts add
# up over days, so a day's sums can be computed once (when the day is written) and a year's effects
# are the ratios of the summed days (see :func:`effect_sums` and :func:`effects_from_sums`).
RATIOS = ("rush_hour", "night", "weekend", "winter", "coastal", "industrial", "rain", "wind", "wind_factor")
"""``wind_factor`` is the specified wind factor itself over windy against calm hours: the wind effect is
PM2.5 without wind over windy/calm divided by it (wind is continuous, the factor is not one number)."""
SUM_FIELDS = (*(f"{ratio}/{part}" for ratio in RATIOS for part in ("num_sum", "num_n", "den_sum", "den_n")),
              *(f"total/{name}" for name in POLLUTANTS))
EFFECT_SUMS_VERSION = 1  # bump when SUM_FIELDS or what a field measures changes: stored sums are then recomputed

_HOURS = np.arange(24)
_WIND_CLASSES, _RAIN, _SEASONS, _WEEKEND = 3, 2, 3, 2  # wind: other/windy/calm; season: other/winter/summer
_CELL_CLASSES = _WIND_CLASSES * _RAIN * _SEASONS * _WEEKEND * 24


def _cell_class(grid: Grid) -> np.ndarray:
    """Per cell: local hour + 24 x (weekend + 2 x (season + 3 x (rain + 2 x wind class))), as int32."""
    cal, latitude = grid.calendar, grid.city("latitude")
    wind = grid.values["wind_speed_kmh"]
    code = cal.hour.astype(np.int32)
    code += 24 * weekend_mask(cal.weekday, grid.cities["country_code"].to_list())
    code += 48 * winter_mask(cal.month, latitude)
    code += 96 * summer_mask(cal.month, latitude)
    code += 144 * grid.values["is_raining"]
    code += 288 * (wind >= P.wind_full_effect_kmh)
    code += 576 * (wind < 2.0)
    return code


def effect_sums(grid: Grid, groups: int = 1) -> np.ndarray:
    """The sums and counts behind every effect, for ``groups`` equal runs of hours (e.g. days).

    Shape (groups, len(SUM_FIELDS)); the rows add up, and :func:`effects_from_sums` of their sum is
    :func:`measure_effects` of the whole grid. One bincount per weighted quantity over a class per cell
    (local hour, weekend, season, rain, wind class), instead of one masked mean per effect.
    """
    n_cities, n_hours = grid.values["pm25"].shape
    if n_hours % groups:
        raise ValueError(f"{n_hours} hours do not split into {groups} equal groups")
    f = _factors(grid)
    residual = grid.values["pm25"] / (grid.city("base_pollution_level") * f["geographic"])
    for name in ("temporal", "wind", "rain"):
        np.divide(residual, f[name], out=residual)  # PM2.5 without any specified effect
    code = _cell_class(grid)
    code += (_CELL_CLASSES * (np.arange(n_hours) // (n_hours // groups)))[None, :]
    code = code.ravel()
    size = _CELL_CLASSES * groups

    def binned(weights: np.ndarray | None) -> np.ndarray:  # (groups, wind, rain, season, weekend, hour)
        flat = None if weights is None else weights.ravel()
        return np.bincount(code, weights=flat, minlength=size).reshape(groups, 3, 2, 3, 2, 24)

    n = binned(None).astype(np.float64)
    temporal_only, no_rain = binned(residual * f["temporal"]), binned(residual)
    no_wind, wind_factor = binned(residual * f["wind"]), binned(f["wind"])
    no_rain[:, :, 1] *= P.rain_factor
    hour_in = {name: np.isin(_HOURS, sorted(hours)) for name, hours in
               (("rush", P.rush_hours), ("night", P.night_hours), ("midday", P.midday_hours))}
    g = (slice(None),)

    def part(binned_values: np.ndarray, index: tuple) -> tuple[np.ndarray, np.ndarray]:
        """Sum and count over the cells ``index`` selects (after the group axis), per group."""
        return (binned_values[g + index].reshape(groups, -1).sum(axis=1),
                n[g + index].reshape(groups, -1).sum(axis=1))

    every = slice(None)
    selections = {
        "rush_hour": (temporal_only, (Ellipsis, hour_in["rush"]), (Ellipsis, hour_in["midday"])),
        "night": (temporal_only, (Ellipsis, hour_in["night"]), (Ellipsis, hour_in["midday"])),
        "weekend": (temporal_only, (Ellipsis, 1, every), (Ellipsis, 0, every)),
        "winter": (temporal_only, (every, every, 1), (every, every, 2)),
        "rain": (no_rain, (every, 1), (every, 0)),
        "wind": (no_wind, (1,), (2,)),
        "wind_factor": (wind_factor, (1,), (2,)),
    }
    columns = {}
    for name, (values, numerator, denominator) in selections.items():
        (columns[f"{name}/num_sum"], columns[f"{name}/num_n"]), (columns[f"{name}/den_sum"], columns[
            f"{name}/den_n"]) = part(values, numerator), part(values, denominator)
    # coastal and industrial are per city: PM2.5 with only that factor left is residual x factor
    by_city = residual.reshape(n_cities, groups, -1).sum(axis=2)  # (cities, groups)
    hours_per_group = n_hours // groups
    for name, flag, factor in (("coastal", "coastal", P.coastal_factor), ("industrial", "industrial",
                                                                         P.industrial_factor)):
        chosen = grid.cities[flag].to_numpy()
        columns[f"{name}/num_sum"] = factor * by_city[chosen].sum(axis=0)
        columns[f"{name}/den_sum"] = by_city[~chosen].sum(axis=0)
        columns[f"{name}/num_n"] = np.full(groups, float(chosen.sum() * hours_per_group))
        columns[f"{name}/den_n"] = np.full(groups, float((~chosen).sum() * hours_per_group))
    for name in POLLUTANTS:
        columns[f"total/{name}"] = grid.hourly_totals[name].reshape(groups, -1).sum(axis=1)
    return np.stack([np.asarray(columns[field], dtype=np.float64) for field in SUM_FIELDS], axis=1)


def effects_from_sums(sums: np.ndarray) -> dict[str, float | None]:
    """Observed value of every specified factor from summed :func:`effect_sums` (one row)."""
    s = dict(zip(SUM_FIELDS, (float(v) for v in sums)))

    def ratio(name: str) -> float | None:
        if not s[f"{name}/num_n"] or not s[f"{name}/den_n"]:
            return None  # nothing to measure on (e.g. no coastal city in the selection)
        return (s[f"{name}/num_sum"] / s[f"{name}/num_n"]) / (s[f"{name}/den_sum"] / s[f"{name}/den_n"])

    observed: dict[str, float | None] = {name: ratio(name) for name in RATIOS if name != "wind_factor"}
    if observed["wind"] is not None:
        observed["wind"] /= ratio("wind_factor")
    observed.update({f"{name}_ratio": s[f"total/{name}"] / s["total/pm25"] for name in P.pollutant_ratios})
    return observed


def measure_effects(grid: Grid) -> dict[str, float | None]:
    """Observed value of every specified factor; compare with :func:`expected_effects`."""
    return effects_from_sums(effect_sums(grid).sum(axis=0))


def expected_effects() -> dict[str, float]:
    """The specified factor for each key of :func:`measure_effects`."""
    return {
        "rush_hour": P.rush_factor, "night": P.night_factor, "weekend": P.weekend_factor,
        "winter": P.winter_factor, "coastal": P.coastal_factor, "industrial": P.industrial_factor,
        "rain": P.rain_factor, "wind": 1.0,
        **{f"{name}_ratio": ratio for name, ratio in P.pollutant_ratios.items()},
    }


def sums_by_local_hour(grid: Grid, column: str = "pm25") -> np.ndarray:
    """Per city, the sum of ``column`` at each local hour 0-23: shape (cities, 24)."""
    n_cities = grid.cities.height
    index = grid.calendar.hour.astype(np.int64) + 24 * np.arange(n_cities)[:, None]
    return np.bincount(index.ravel(), weights=grid.values[column].ravel(), minlength=24 * n_cities).reshape(
        n_cities, 24)


def pm25_means_by_city(table: pa.Table, n_cities: int) -> np.ndarray:
    """Mean PM2.5 per city of a (timestamp, city_id)-ordered table with every city at every hour."""
    if table.num_rows % n_cities:
        raise IncompleteGridError(f"{table.num_rows:,} rows are not a whole number of hours of {n_cities} cities")
    return table["pm25"].to_numpy().reshape(-1, n_cities).mean(axis=0)


def annual_pm25_vs_published(cities: pl.DataFrame, generated: np.ndarray) -> pl.DataFrame:
    """Per city: the generated mean PM2.5 against the published annual mean and its source."""
    return cities.select("name", "pm25_published", "pm25_year", "pm25_source").with_columns(
        pm25_generated=pl.Series(generated.round(2)),
        ratio=pl.Series((generated / cities["pm25_published"].to_numpy()).round(3)))


def worst_pm25_ratio(cities: pl.DataFrame, generated: np.ndarray, hours: int) -> float | None:
    """Generated / published annual mean PM2.5 of the city farthest from 1; None unless a whole year."""
    if hours < 365 * 24:
        return None
    ratio = annual_pm25_vs_published(cities, generated)["ratio"].to_numpy()
    return float(ratio[np.argmax(np.abs(ratio - 1.0))])


# --- a day's sums stored with the day ----------------------------------------------------------------
# The hourly asset writes each day's effect sums into the day file's key-value metadata (same atomic
# write as its rows). The roll-up uses them only if the record is of this version and these patterns
# and its fingerprint equals the fingerprint of the rows it just read; otherwise it measures the year.
EFFECT_SUMS_KEY = "synth.air_quality.effect_sums"
FINGERPRINT_COLUMNS = ("timestamp", "city_id", *POLLUTANTS, "wind_speed_kmh", "is_raining")
"""Every column the sums are made of (the city attributes are fixed by the file identity's city reference)."""
_PATTERNS_DIGEST = hashlib.blake2b(json.dumps(
    {k: sorted(v) if isinstance(v, list) else v for k, v in P.model_dump(mode="json").items()},
    sort_keys=True).encode(), digest_size=8).hexdigest()


def fingerprints(table: pa.Table, groups: int) -> np.ndarray:
    """Per group of equal consecutive rows (a day), a 64-bit position-weighted sum of the value bits of
    :data:`FINGERPRINT_COLUMNS`: any changed, moved or swapped value changes it (not a cryptographic hash)."""
    rows = table.num_rows // groups
    if rows * groups != table.num_rows:
        raise ValueError(f"{table.num_rows} rows do not split into {groups} equal groups")
    weights = 2 * np.arange(rows, dtype=np.uint64) + np.uint64(1)
    total = np.zeros(groups, dtype=np.uint64)
    for k, name in enumerate(FINGERPRINT_COLUMNS):
        column = table[name]
        if column.num_chunks == groups and all(len(chunk) == rows for chunk in column.chunks):
            # a year read from its day files: one chunk per day, no concatenated copy of the column
            sums = np.array([_bits(chunk.to_numpy(zero_copy_only=False)) @ weights for chunk in column.chunks],
                            dtype=np.uint64)
        else:
            sums = _bits(column.to_numpy()).reshape(groups, rows) @ weights
        total += sums * np.uint64(2 * k + 1)  # integer arithmetic wraps modulo 2**64, as intended
    return total


def _bits(values: np.ndarray) -> np.ndarray:
    return values.view(np.uint64) if values.dtype.itemsize == 8 else values.astype(np.uint64)


def effect_sums_record(sums: np.ndarray, fingerprint: np.uint64) -> str:
    """One day's sums (a row of :func:`effect_sums`) as the JSON stored under :data:`EFFECT_SUMS_KEY`."""
    return json.dumps({"version": EFFECT_SUMS_VERSION, "patterns": _PATTERNS_DIGEST,
                       "fingerprint": int(fingerprint), "sums": [float(v) for v in sums]}, separators=(",", ":"))


def stored_effect_sums(records: Sequence[bytes | str | None], day_fingerprints: np.ndarray,
                       ) -> tuple[np.ndarray, np.ndarray]:
    """The stored sums of each day and whether each is valid for the rows read (same version, same
    patterns, same fingerprint); an invalid day's row is zeros."""
    sums = np.zeros((len(records), len(SUM_FIELDS)))
    valid = np.zeros(len(records), dtype=bool)
    for day, (record, fingerprint) in enumerate(zip(records, day_fingerprints)):
        try:
            stored = json.loads(record) if record is not None else {}
        except ValueError:
            continue
        if (stored.get("version") == EFFECT_SUMS_VERSION and stored.get("patterns") == _PATTERNS_DIGEST
                and stored.get("fingerprint") == int(fingerprint) and len(stored.get("sums", ())) == len(SUM_FIELDS)):
            sums[day], valid[day] = stored["sums"], True
    return sums, valid
