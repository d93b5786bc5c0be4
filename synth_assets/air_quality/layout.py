"""Where the air-quality files live under the data directory. One mode never reads another's files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from synth_assets.core.identity import FileIdentity

FAMILY = "air_quality"


def mode_dir(data_dir: Path, mode: str) -> Path:
    return data_dir / FAMILY / mode


def city_profiles_path(data_dir: Path, mode: str) -> Path:
    return mode_dir(data_dir, mode) / "city_profiles.parquet"


def hourly_dir(data_dir: Path, mode: str) -> Path:
    return mode_dir(data_dir, mode) / "hourly"


def daily_path(data_dir: Path, mode: str, day: date) -> Path:
    return hourly_dir(data_dir, mode) / f"{day:%Y}" / f"{day:%Y-%m-%d}.parquet"


def yearly_dir(data_dir: Path, mode: str) -> Path:
    return mode_dir(data_dir, mode) / "yearly"


def yearly_path(data_dir: Path, mode: str, year: int) -> Path:
    return yearly_dir(data_dir, mode) / f"{year}.parquet"


YEARLY_FILE_GLOB = "[0-9][0-9][0-9][0-9].parquet"
"""Only files named like a year belong to the yearly view; a stray ``notes.parquet`` is not read."""


def yearly_glob(data_dir: Path, mode: str) -> Path:
    return yearly_dir(data_dir, mode) / YEARLY_FILE_GLOB


# --- what the files hold (stored in each file, checked by every reader) ---------------------------

MEASUREMENT_SCHEMA_VERSION = 1  # bump when MEASUREMENT_SCHEMA's columns change
CITY_SCHEMA_VERSION = 1


def hourly_identity(seed: int, mode: str) -> FileIdentity:
    return FileIdentity("air_quality.hourly_measurements", MEASUREMENT_SCHEMA_VERSION, seed, mode)


def yearly_identity(seed: int, mode: str) -> FileIdentity:
    return FileIdentity("air_quality.yearly_measurements", MEASUREMENT_SCHEMA_VERSION, seed, mode)


def city_profiles_identity(mode: str) -> FileIdentity:
    """The city table depends on the mode only, not on the seed."""
    return FileIdentity("air_quality.city_profiles", CITY_SCHEMA_VERSION, None, mode)


def streamed_identity() -> FileIdentity:
    """Landed stream messages: whatever seed the simulator ran with, they are what arrived."""
    return FileIdentity("air_quality.streamed_measurements", MEASUREMENT_SCHEMA_VERSION, None, "stream")
