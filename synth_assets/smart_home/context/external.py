"""External data per home and hour: where the sun is, whether it is light, and the outdoor air quality.

The sun comes from core/sun.py (NOAA equations) at the home's coordinates at the middle of each hour;
the air quality is the air-quality family's value for the home's city at that hour, taken from the same
city grid as the weather (:mod:`.weather`), so it equals ``air_quality/hourly_measurements`` for the
seed. Pure: no Dagster, no I/O.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pyarrow as pa

from synth_assets.core.sun import sun_position
from synth_assets.smart_home.context.local_hours import local_day_hours
from synth_assets.smart_home.context.models import (
    DAYLIGHT_MIN_ELEVATION_DEG,
    EXTERNAL_SCHEMA,
    SUN_SAMPLE_OFFSET_MINUTES,
)
from synth_assets.smart_home.context.weather import AIR_COLUMNS, city_values, homes_in_order, row_keys

SUN_DECIMALS = 2


def external_day(homes: pl.DataFrame, day: date, seed: int) -> pa.Table:
    """Sun, daylight and air quality of every home over its local ``day``, in (home_index, timestamp) order."""
    homes = homes_in_order(homes)
    hours = local_day_hours(homes["timezone"].to_list(), day)
    air = city_values(homes, hours, seed)
    middle = hours.timestamp.astype("datetime64[m]") + np.timedelta64(SUN_SAMPLE_OFFSET_MINUTES, "m")
    sun = sun_position(middle, homes["latitude"].to_numpy()[hours.location],
                       homes["longitude"].to_numpy()[hours.location])
    columns = {
        **row_keys(homes, hours),
        "sun_elevation_deg": pa.array(np.round(sun.elevation_deg, SUN_DECIMALS)),
        "sun_azimuth_deg": pa.array(np.round(sun.azimuth_deg, SUN_DECIMALS) % 360.0),
        "is_daylight": pa.array(sun.elevation_deg > DAYLIGHT_MIN_ELEVATION_DEG),
        **{name: pa.array(air[name]) for name in AIR_COLUMNS},
    }
    return pa.table(columns).cast(EXTERNAL_SCHEMA)
