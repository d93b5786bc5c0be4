"""Where the pattern tables live and what each file must hold. Pure: no Dagster.

Every pattern table is daily, one file per analysis day, beside the events:
``<data_dir>/smart_home/<table>/<yyyy>/<yyyy-mm-dd>.parquet`` (:func:`smart_home.layout.daily_path`). Its
identity names the smart-home config *and* the pattern settings, so a file mined with another window or
threshold is refused like one made with another seed.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pyarrow as pa

from synth_assets.core.identity import FileIdentity, config_fingerprint
from synth_assets.core.storage import read_parquet_checked
from synth_assets.smart_home import layout
from synth_assets.smart_home.models import SmartHomeConfig
from synth_assets.smart_home.patterns.models import PATTERNS_SCHEMA_VERSION, PatternConfig


def pattern_identity(table: str, config: SmartHomeConfig, patterns: PatternConfig,
                     schema_version: int = PATTERNS_SCHEMA_VERSION) -> FileIdentity:
    """What a file of pattern table ``table`` mined with ``patterns`` from ``config``'s events must carry."""
    return FileIdentity(dataset=f"{layout.FAMILY}.{table}", schema_version=schema_version, seed=config.seed,
                        config=config_fingerprint({"smart_home": config.fingerprint(),
                                                   "patterns": patterns.model_dump(mode="json")}))


def pattern_command(table: str, day: date) -> str:
    return (f"dagster asset materialize -m synth_assets.definitions --select smart_home/{table} "
            f"--partition {day.isoformat()}")


def read_pattern_day(data_dir: Path, table: str, day: date, schema: pa.Schema,
                     identity: FileIdentity) -> pl.DataFrame:
    """One analysis day of a pattern table, refused if missing, corrupt or made with other settings."""
    path = layout.daily_path(data_dir, table, day)
    if not path.exists():
        raise FileNotFoundError(f"smart_home.{table} has no analysis day {day.isoformat()} ({path}). "
                                f"Make it with: {pattern_command(table, day)}")
    return pl.from_arrow(read_parquet_checked(path, schema, identity=identity,
                                              fix=f"re-run: {pattern_command(table, day)}"))
