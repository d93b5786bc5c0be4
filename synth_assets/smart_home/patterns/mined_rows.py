"""The events the pattern analysis reads, in the one shape every miner takes. Pure: no Dagster.

Two kinds of events matter (:data:`MINED_ROWS`): a real change of a discrete entity (``last_changed ==
timestamp``: not an attribute-only write) and a temperature report. :func:`mined_rows` keeps those and
derives, once per row, what every miner used to derive again from the strings: the ``kind`` of the row
and, for a temperature report, its ``value``. ``smart_home.state_changes`` stores exactly these rows, one
file per events day, so the 3 AM analysis reads the derivations instead of repeating them for every day
of its 28-day window each morning; mining raw events goes through the same function, so both give the
same tables (tested).
"""

from __future__ import annotations

import polars as pl
import pyarrow as pa

from synth_assets.smart_home.models import EVENTS_SCHEMA
from synth_assets.smart_home.patterns.models import DISCRETE_DOMAINS

TEMPERATURE = r"^sensor\.[a-z0-9_]*temperature"   # Home Assistant's entity ids of temperature sensors
CHANGE, READING = 0, 1
"""``kind``: a real change of a discrete entity, a temperature report."""
EVENT_COLUMNS = ("home_id", "entity_id", "timestamp", "last_changed", "state")
"""The events' columns the analysis reads."""
_DISCRETE = pl.any_horizontal(pl.col("entity_id").str.starts_with(f"{domain}.") for domain in DISCRETE_DOMAINS)
_TEMPERATURE = pl.col("entity_id").str.starts_with("sensor.") & pl.col("entity_id").str.contains(TEMPERATURE)
MINED_ROWS = (_DISCRETE & (pl.col("last_changed") == pl.col("timestamp"))) | _TEMPERATURE
"""The events the analysis reads (an expression over :data:`EVENT_COLUMNS`)."""
MINED_SCHEMA = pa.schema([EVENTS_SCHEMA.field("home_id"), EVENTS_SCHEMA.field("entity_id"),
                          EVENTS_SCHEMA.field("timestamp"), EVENTS_SCHEMA.field("state"),
                          pa.field("kind", pa.int8()), pa.field("value", pa.float64())])
"""The mined rows: the events' own columns but ``last_changed`` (the kind says it), ``kind`` and ``value``
(a temperature report's reading; null for a change and for a report that is not a number)."""
MINED_COLUMNS = tuple(MINED_SCHEMA.names)


def is_mined(frame: pl.DataFrame | pl.LazyFrame) -> bool:
    """Whether ``frame`` holds mined rows already (``smart_home.state_changes``) rather than events."""
    return "kind" in frame.collect_schema().names()


def mined_rows(frame: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    """:data:`MINED_COLUMNS` of the mined rows of ``frame``: events (at least :data:`EVENT_COLUMNS`) are
    filtered and given their kind and value; mined rows pass as they are. Lazy: callers filter further."""
    lazy = frame.lazy()
    if is_mined(lazy):
        return lazy.select(MINED_COLUMNS)
    missing = [c for c in EVENT_COLUMNS if c not in lazy.collect_schema().names()]
    if missing:
        raise ValueError(f"events lack the column(s) {', '.join(missing)} the pattern analysis reads")
    return (lazy.select(EVENT_COLUMNS).filter(MINED_ROWS)
            .with_columns(reading=_TEMPERATURE)
            .select("home_id", "entity_id", "timestamp", "state",
                    kind=pl.when("reading").then(pl.lit(READING, pl.Int8)).otherwise(pl.lit(CHANGE, pl.Int8)),
                    value=pl.when("reading").then(pl.col("state").cast(pl.Float64, strict=False))))
