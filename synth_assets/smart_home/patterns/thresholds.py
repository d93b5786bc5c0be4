"""Numeric triggers as items: a temperature falling below (or rising to) the level a thermostat reacts at.

A heating automation fires on a number, not a state: "heat when the hallway is below 19.5 °C". For every
temperature sensor and climate entity of a home, the sensor's readings just before the climate entity
turned to a state give the level it reacts at (a falling level above 90 % of those readings for
``heat``; a rising one below 90 % of them for ``cool``, and for ``off`` where the entity heats), each
thermostat its own. The readings that cross that
level become changes of their own, with the state ``<19.5`` or ``>=21.0``, and go through the same
co-occurrence statistics as any state change: a level that is only a coincidence gets no lift. Pure:
no Dagster.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from synth_assets.core.sorting import order_by_group_then_time
from synth_assets.smart_home.patterns.mined_rows import READING

CLIMATE = "climate."
LEVEL_QUANTILE = 0.9   # of the readings just before heat starts: the level is above nearly all of them
LEVEL_MARGIN = 0.05    # half the sensors' 0.1 °C step (estimate)
BELOW, AT_OR_ABOVE = "<", ">="


def crossing_changes(rows: pl.DataFrame | pl.LazyFrame, changes: pl.DataFrame) -> pl.DataFrame:
    """``home_id``, ``entity_id``, ``t``, ``item`` (``sensor.x=<19.5``): every reading that crosses a level
    a climate entity of its home reacts at. ``rows``: the mined rows (:func:`.mined_rows.mined_rows`: the
    temperature reports are its ``kind`` READING, with their ``value``); ``changes``: the discrete changes
    (:func:`.co_occurrence.state_changes` columns), for the climate entities. The readings are sorted once
    by (sensor, time); the reading before a climate change and the readings of a sensor with a level are
    then found by ``searchsorted`` on that order (no join over the readings)."""
    empty = pl.DataFrame(schema={"home_id": pl.String, "entity_id": pl.String, "t": pl.Int64, "item": pl.String})
    climate = changes.filter(pl.col("entity_id").str.starts_with(CLIMATE)).select(
        "home_id", climate="entity_id", t="t", state=pl.col("item").str.extract(r"=(.*)$", 1))
    if climate.is_empty():
        return empty
    readings = (rows.lazy().filter(pl.col("kind") == READING)
                .join(climate.lazy().select("home_id").unique(), on="home_id", how="semi")
                .select("home_id", "entity_id", t=pl.col("timestamp").dt.epoch("us"), value="value",
                        sensor=pl.concat_str("home_id", "entity_id", separator="|").cast(pl.Categorical)
                        .to_physical())
                .drop_nulls("value").collect())
    if readings.is_empty():
        return empty
    order = order_by_group_then_time(readings["sensor"].to_numpy(), readings["t"].to_numpy())  # numpy
    sensor, t, value = (readings[c].to_numpy()[order] for c in ("sensor", "t", "value"))  # sorts the integers only
    first = np.flatnonzero(np.concatenate(([True], sensor[1:] != sensor[:-1])))
    sensors = readings[order[first]].select("home_id", "entity_id", "sensor").with_columns(
        start=pl.Series(first), end=pl.Series(np.append(first[1:], len(sensor))))
    t0, span = int(t.min()), int(t.max() - t.min()) + 1
    axis = sensor.astype(np.int64) * span + (t - t0)   # sorted: by sensor, then time

    def reading_before(sensor_of: np.ndarray, at: np.ndarray) -> np.ndarray:
        """The value of each sensor's last reading at or before ``at`` (NaN: none)."""
        last = np.searchsorted(axis, sensor_of.astype(np.int64) * span + (at - t0), side="right") - 1
        ok = (last >= 0) & (sensor[np.maximum(last, 0)] == sensor_of)
        return np.where(ok, value[np.maximum(last, 0)], np.nan)

    before = climate.join(sensors.select("home_id", "entity_id", "sensor"), on="home_id")
    before = before.with_columns(value=pl.Series(reading_before(before["sensor"].to_numpy(), before["t"].to_numpy()))
                                 .fill_nan(None))
    # heat starts as it gets cold, cool as it gets warm; off is the way back (from heat when it ever heats)
    heats = climate.group_by("home_id", "climate").agg(heats=(pl.col("state") == "heat").any())
    falling = (pl.when(pl.col("state") == "heat").then(True).when(pl.col("state") == "cool").then(False)
               .when(pl.col("state") == "off").then(~pl.col("heats")).otherwise(None))
    levels = (before.drop_nulls("value").join(heats, on=["home_id", "climate"])
              .group_by("home_id", "climate", "entity_id", "state", "heats")   # per thermostat: its own level
              .agg(high=pl.col("value").quantile(LEVEL_QUANTILE), low=pl.col("value").quantile(1 - LEVEL_QUANTILE))
              .with_columns(falling=falling).drop_nulls("falling")
              .select("home_id", "entity_id", "falling",
                      level=pl.when(pl.col("falling")).then(pl.col("high") + LEVEL_MARGIN)
                      .otherwise(pl.col("low") - LEVEL_MARGIN).round(1))
              .unique()
              .join(sensors, on=["home_id", "entity_id"]))
    # every reading of a sensor with a level against that level (a reading after its sensor's previous one)
    tries = (levels["end"] - levels["start"]).to_numpy()
    which = np.repeat(np.arange(levels.height), tries)
    rows = np.repeat(levels["start"].to_numpy(), tries) + (np.arange(len(which)) - np.repeat(np.cumsum(tries) - tries,
                                                                                               tries))
    level, down = levels["level"].to_numpy()[which], levels["falling"].to_numpy()[which]
    previous = value[np.maximum(rows - 1, 0)]
    crossed = (rows > levels["start"].to_numpy()[which]) & np.where(
        down, (previous >= level) & (value[rows] < level), (previous < level) & (value[rows] >= level))
    found = levels[which[crossed]].with_columns(t=pl.Series(t[rows[crossed]]))
    return found.select("home_id", "entity_id", "t", item=pl.col("entity_id") + "="
                        + pl.when(pl.col("falling")).then(pl.lit(BELOW)).otherwise(pl.lit(AT_OR_ABOVE))
                        + pl.col("level").cast(pl.String))
