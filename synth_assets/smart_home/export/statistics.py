"""Long-term statistics of a home's sensors, as Home Assistant's recorder compiles them from the states.

Home Assistant 2024.3 (``components/sensor/recorder.py`` ``compile_statistics``, ``components/recorder/
statistics.py``) compiles every 5 minutes, for each ``sensor`` with a ``state_class``:

- ``measurement``: the time-weighted mean of the numeric state over the period (the state in force at
  the period's start counts from the start), and its min and max (including that starting state);
- ``total`` / ``total_increasing``: ``state``, the last value, and ``sum``, the growth since the first
  compiled period: each change adds its difference, except that a ``total_increasing`` value below 0.9 x
  the previous one is a reset (``reset_detected``) and adds the new value (the cycle restarts at 0);

into ``statistics_short_term``, and each hour that has ended the hour's twelve rows into ``statistics`` (mean of the
means, min of the mins, max of the maxes, the last state and sum). A period gets a row once the entity has
a numeric state at or before its end. Non-numeric states (``unavailable``, ``unknown``) are skipped.
``created_ts`` is the period's end plus 10 s: the recorder's five-minute task runs at second 10
(``core.py``: ``async_track_utc_time_change(..., minute=range(0, 60, 5), second=10)``).

Vectorised with polars: the states and the period starts of each entity form one sorted frame whose
segments are weighted by their duration. Pure: no Dagster.
"""

from __future__ import annotations

import numpy as np
import polars as pl

SHORT_TERM_SECONDS = 300
HOUR_SECONDS = 3600
COMPILE_DELAY_SECONDS = 10
MEAN_CLASSES = ("measurement",)
SUM_CLASSES = ("total", "total_increasing")
RESET_SHARE = 0.9  # sensor/recorder.py reset_detected: a total_increasing value below 0.9 x the last is a reset
STATISTIC_COLUMNS = ("statistic_id", "start_ts", "created_ts", "mean", "min", "max", "state", "sum")


def statistics_meta(entities: pl.DataFrame) -> pl.DataFrame:
    """``statistics_meta`` rows (without ids) for the home's sensors that have a state class."""
    sensors = entities.filter((pl.col("domain") == "sensor") & pl.col("state_class").is_in(MEAN_CLASSES + SUM_CLASSES))
    return sensors.select(
        pl.col("entity_id").alias("statistic_id"), pl.lit("recorder").alias("source"), "unit_of_measurement",
        pl.col("state_class").is_in(MEAN_CLASSES).alias("has_mean"),
        pl.col("state_class").is_in(SUM_CLASSES).alias("has_sum"), pl.lit(None, pl.String).alias("name"),
        "state_class")


def _segments(events: pl.DataFrame, meta: pl.DataFrame, span_start: float, span_end: float) -> pl.DataFrame:
    """Every numeric state and every period start of each statistic, as segments with a duration."""
    numeric = (events.join(meta.select(pl.col("statistic_id").alias("entity_id"), "has_sum", "state_class"),
                           on="entity_id")
               .select(pl.col("entity_id").alias("statistic_id"), "has_sum",
                       (pl.col("state_class") == "total_increasing").alias("increasing"),
                       (pl.col("timestamp").dt.epoch("us") / 1e6).alias("t"),
                       pl.col("state").cast(pl.Float64, strict=False).alias("value"))
               .filter(pl.col("value").is_not_null() & pl.col("value").is_finite()
                       & (pl.col("t") < span_end)))
    if numeric.is_empty():
        return numeric.with_columns(period=pl.lit(0.0), duration=pl.lit(0.0), growth=pl.lit(0.0))
    periods = np.arange(span_start, span_end, SHORT_TERM_SECONDS, dtype=np.float64)
    first = numeric.group_by("statistic_id").agg(pl.col("t").min().alias("first"), pl.col("has_sum").first(),
                                                 pl.col("increasing").first())
    starts = (first.join(pl.DataFrame({"t": periods}), how="cross")
              .filter(pl.col("t") + SHORT_TERM_SECONDS > pl.col("first"))
              .select("statistic_id", "has_sum", "increasing", "t", pl.lit(None, pl.Float64).alias("value"),
                      pl.lit(1, pl.Int8).alias("is_start")))
    frame = (pl.concat([numeric.with_columns(is_start=pl.lit(0, pl.Int8)), starts], how="vertical_relaxed")
             .with_columns(pl.col("t").clip(lower_bound=span_start))
             .sort("statistic_id", "t", "is_start", descending=[False, False, True], maintain_order=True)
             .with_columns(pl.col("value").forward_fill().over("statistic_id"))
             .filter(pl.col("value").is_not_null()))
    previous = pl.col("value").shift(1).over("statistic_id")
    return frame.with_columns(
        period=(pl.col("t") // SHORT_TERM_SECONDS) * SHORT_TERM_SECONDS,
        duration=(pl.col("t").shift(-1).over("statistic_id").fill_null(span_end)
                  .clip(upper_bound=(pl.col("t") // SHORT_TERM_SECONDS + 1) * SHORT_TERM_SECONDS) - pl.col("t")),
        growth=pl.when(previous.is_null()).then(0.0)
        .when(pl.col("increasing") & (pl.col("value") < RESET_SHARE * previous)).then(pl.col("value"))
        .otherwise(pl.col("value") - previous),
    ).with_columns(sum=pl.col("growth").cum_sum().over("statistic_id"))


def short_term_statistics(events: pl.DataFrame, entities: pl.DataFrame, span_start: float,
                          span_end: float) -> pl.DataFrame:
    """``statistics_short_term`` rows of the span ``[span_start, span_end)`` (epoch seconds, 5-min aligned)."""
    meta = statistics_meta(entities)
    segments = _segments(events, meta, span_start, span_end)
    if segments.is_empty():
        return _empty()
    weighted = pl.col("value") * pl.col("duration")
    rows = (segments.group_by("statistic_id", "period", maintain_order=True).agg(
        has_sum=pl.col("has_sum").first(),
        mean=pl.when(pl.col("duration").sum() > 0).then(weighted.sum() / pl.col("duration").sum())
        .otherwise(pl.col("value").last()),
        min=pl.col("value").min(), max=pl.col("value").max(), state=pl.col("value").last(), sum=pl.col("sum").last()))
    return _finish(rows, SHORT_TERM_SECONDS)


def hourly_statistics(short_term: pl.DataFrame, span_end: float | None = None) -> pl.DataFrame:
    """``statistics`` rows: each hour's short-term rows combined as the recorder does, for the hours that end
    by ``span_end`` (the recorder compiles an hour after it ends: in a half-hour time zone the span's last
    half hour has no hourly row, and Home Assistant, started later, compiles that hour itself)."""
    if span_end is not None:
        short_term = short_term.filter((pl.col("start_ts") // HOUR_SECONDS + 1) * HOUR_SECONDS <= span_end)
    if short_term.is_empty():
        return _empty()
    rows = (short_term.with_columns(period=(pl.col("start_ts") // HOUR_SECONDS) * HOUR_SECONDS)
            .sort("statistic_id", "start_ts")
            .group_by("statistic_id", "period", maintain_order=True).agg(
                has_sum=pl.col("sum").is_not_null().any(), mean=pl.col("mean").mean(), min=pl.col("min").min(),
                max=pl.col("max").max(), state=pl.col("state").last(), sum=pl.col("sum").last()))
    return _finish(rows, HOUR_SECONDS)


def _finish(rows: pl.DataFrame, seconds: int) -> pl.DataFrame:
    summed = pl.col("has_sum")
    return rows.select(
        "statistic_id", pl.col("period").alias("start_ts"),
        (pl.col("period") + seconds + COMPILE_DELAY_SECONDS).alias("created_ts"),
        pl.when(~summed).then(pl.col("mean")).alias("mean"), pl.when(~summed).then(pl.col("min")).alias("min"),
        pl.when(~summed).then(pl.col("max")).alias("max"), pl.when(summed).then(pl.col("state")).alias("state"),
        pl.when(summed).then(pl.col("sum")).alias("sum")).sort("statistic_id", "start_ts")


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema={"statistic_id": pl.String, "start_ts": pl.Float64, "created_ts": pl.Float64,
                                "mean": pl.Float64, "min": pl.Float64, "max": pl.Float64, "state": pl.Float64,
                                "sum": pl.Float64})
