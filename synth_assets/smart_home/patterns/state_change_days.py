"""``smart_home.state_changes``: per events day, the rows the pattern analysis reads, derived once. Pure: no Dagster.

The 3 AM analysis reads a window of 28 event days. The miners read only the rows of :data:`.mined_rows.
MINED_ROWS` (real changes of discrete entities and every temperature report: about half of the events), in
the shape of :func:`.mined_rows.mined_rows`: the events' columns they use (never the attributes or the
context ids) plus each row's ``kind`` and a report's ``value``. Doing that once per events day, when the
day is made, means the analysis reads 28 small files instead of scanning every event of the window and
matching entity ids each morning (measured in bench/smart_home_patterns.py). Mining these rows or the
events gives the same tables (tested).

Rows are sorted by (home_id, entity_id, timestamp) and written in row groups of :data:`ROW_GROUP_ROWS`: a
block of homes reads only the row groups of its homes (Parquet statistics), and the columns compress well.
The file carries the smart-home identity (seed, config) like the events it comes from; the pattern
settings play no part in it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from synth_assets.core.identity import FileIdentity, config_fingerprint
from synth_assets.core.storage import WrittenFile, write_parquet_atomic
from synth_assets.smart_home import layout
from synth_assets.smart_home.events.models import EVENTS_SCHEMA_VERSION
from synth_assets.smart_home.models import SmartHomeConfig
from synth_assets.smart_home.patterns.mined_rows import MINED_SCHEMA, mined_rows

TABLE = "state_changes"
STATE_CHANGES_SCHEMA = MINED_SCHEMA
STATE_CHANGES_SCHEMA_VERSION = 2   # 2: kind and value instead of last_changed
ORDER = ("home_id", "entity_id", "timestamp")
ROW_GROUP_ROWS = 131_072   # about 30 homes a row group: a block of 25 homes reads 1-2 of them, not 1 M rows


def state_change_rows(events: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """The mined rows of ``events`` (EVENTS_SCHEMA, one day) in :data:`ORDER`."""
    return mined_rows(events).sort(ORDER, maintain_order=True).collect()


def state_changes_identity(config: SmartHomeConfig) -> FileIdentity:
    """What a day file of ``smart_home.state_changes`` made from ``config``'s events must carry: seed and
    smart-home config as the events, and the events' schema version (events of another version, other rows)."""
    return FileIdentity(dataset=f"{layout.FAMILY}.{TABLE}", schema_version=STATE_CHANGES_SCHEMA_VERSION,
                        seed=config.seed, config=config_fingerprint({"smart_home": config.fingerprint(),
                                                                     "events_schema_version": EVENTS_SCHEMA_VERSION}))


def state_changes_path(data_dir: Path, day: date) -> Path:
    return layout.daily_path(data_dir, TABLE, day)


def write_state_changes(rows: pl.DataFrame, data_dir: Path, day: date, config: SmartHomeConfig) -> WrittenFile:
    """``day``'s file of :func:`state_change_rows` ``rows``, written atomically with its identity."""
    return write_parquet_atomic(rows.to_arrow(), state_changes_path(data_dir, day), STATE_CHANGES_SCHEMA,
                                state_changes_identity(config), row_group_rows=ROW_GROUP_ROWS)
