"""Where the air-quality files live under the data directory. One mode never reads another's files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

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
