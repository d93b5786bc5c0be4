"""``smart_home.state_changes``: per events day, only the rows and columns the pattern analysis reads. Pure: no Dagster.

The 3 AM analysis reads a window of 28 event days; the miners keep only :data:`.mine.MINED_ROWS` (real
changes of discrete entities and every temperature report: about half of the events) and
:data:`.mine.MINED_COLUMNS` (never the attributes or the context ids). Doing that once per events day,
when the day is made, means the analysis reads 28 small files instead of scanning every event of the
window each morning (measured in bench/smart_home_patterns.py). The rows are exactly what the miners and
the time-of-day patterns would take from the events, so mining either gives the same tables (tested).

Rows are sorted by (home_id, entity_id, timestamp): a block of homes reads only the row groups and pages
of its homes (Parquet statistics), and the columns compress well. The file carries the smart-home
identity (seed, config) like the events it comes from; the pattern settings play no part in it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pyarrow as pa

from synth_assets.core.identity import FileIdentity, config_fingerprint
from synth_assets.smart_home import layout
from synth_assets.smart_home.events.models import EVENTS_SCHEMA_VERSION
from synth_assets.smart_home.models import EVENTS_SCHEMA, SmartHomeConfig
from synth_assets.smart_home.patterns.mine import MINED_COLUMNS, MINED_ROWS

TABLE = "state_changes"
STATE_CHANGES_SCHEMA = pa.schema([EVENTS_SCHEMA.field(name) for name in MINED_COLUMNS])
"""The events' own columns that the miners read, with the events' types."""
STATE_CHANGES_SCHEMA_VERSION = 1
ORDER = ("home_id", "entity_id", "timestamp")


def state_change_rows(events: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """The rows of ``events`` (EVENTS_SCHEMA, one day) the pattern analysis reads, in :data:`ORDER`."""
    missing = [c for c in MINED_COLUMNS if c not in events.collect_schema().names()]
    if missing:
        raise ValueError(f"events lack the column(s) {', '.join(missing)} the pattern analysis reads")
    return events.lazy().select(MINED_COLUMNS).filter(MINED_ROWS).sort(ORDER).collect()


def state_changes_identity(config: SmartHomeConfig) -> FileIdentity:
    """What a day file of ``smart_home.state_changes`` made from ``config``'s events must carry: seed and
    smart-home config as the events, and the events' schema version (events of another version, other rows)."""
    return FileIdentity(dataset=f"{layout.FAMILY}.{TABLE}", schema_version=STATE_CHANGES_SCHEMA_VERSION,
                        seed=config.seed, config=config_fingerprint({"smart_home": config.fingerprint(),
                                                                     "events_schema_version": EVENTS_SCHEMA_VERSION}))


def state_changes_path(data_dir: Path, day: date) -> Path:
    return layout.daily_path(data_dir, TABLE, day)
