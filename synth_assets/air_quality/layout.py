"""Where the air-quality files live under the data directory. One mode never reads another's files."""

from __future__ import annotations

import hashlib
from datetime import date
from functools import lru_cache
from pathlib import Path

from synth_assets.air_quality.cities import REFERENCE_CSV
from synth_assets.core.identity import FileIdentity
from synth_assets.core.storage import YEAR_FILE_GLOB, day_file, family_dir, year_file

FAMILY = "air_quality"


def mode_dir(data_dir: Path, mode: str) -> Path:
    return family_dir(data_dir, FAMILY, mode)


def city_profiles_path(data_dir: Path, mode: str) -> Path:
    return mode_dir(data_dir, mode) / "city_profiles.parquet"


def hourly_dir(data_dir: Path, mode: str) -> Path:
    return mode_dir(data_dir, mode) / "hourly"


def daily_path(data_dir: Path, mode: str, day: date) -> Path:
    return day_file(hourly_dir(data_dir, mode), day)


def yearly_dir(data_dir: Path, mode: str) -> Path:
    return mode_dir(data_dir, mode) / "yearly"


def yearly_path(data_dir: Path, mode: str, year: int) -> Path:
    return year_file(yearly_dir(data_dir, mode), year)


def yearly_glob(data_dir: Path, mode: str) -> Path:
    return yearly_dir(data_dir, mode) / YEAR_FILE_GLOB


def stream_landing_dir(data_dir: Path) -> Path:
    """Where `synth stream --sink file:` writes by default, and the landing asset reads ``*.jsonl``."""
    return family_dir(data_dir, FAMILY, "stream")


def streamed_day_path(data_dir: Path, day: date) -> Path:
    return day_file(stream_landing_dir(data_dir) / "daily", day)


# --- what the files hold (stored in each file, checked by every reader) ---------------------------

MEASUREMENT_SCHEMA_VERSION = 1  # bump when MEASUREMENT_SCHEMA's columns change
MEASUREMENT_MODEL_VERSION = 2  # bump when the generator gives other values for the same seed and cities
# 2: weather from published climate normals, PM2.5 bases calibrated to published annual means (issue 13)


@lru_cache(maxsize=4)
def _reference_digest(path: Path) -> str:
    return hashlib.blake2b(path.read_bytes(), digest_size=6).hexdigest()


def measurement_config(mode: str) -> str:
    """What shapes the measurements besides the seed: the mode, the model version and the city reference
    (a rebuilt ``cities.csv`` with other normals or bases makes earlier days another dataset)."""
    return f"{mode};model v{MEASUREMENT_MODEL_VERSION};cities {_reference_digest(REFERENCE_CSV)}"
CITY_SCHEMA_VERSION = 2  # 2: climate normals, altitude, published PM2.5 (issue 13)


def hourly_identity(seed: int, mode: str) -> FileIdentity:
    return FileIdentity("air_quality.hourly_measurements", MEASUREMENT_SCHEMA_VERSION, seed,
                        measurement_config(mode))


def yearly_identity(seed: int, mode: str) -> FileIdentity:
    return FileIdentity("air_quality.yearly_measurements", MEASUREMENT_SCHEMA_VERSION, seed,
                        measurement_config(mode))


def city_profiles_identity(mode: str) -> FileIdentity:
    """The city table depends on the mode only, not on the seed."""
    return FileIdentity("air_quality.city_profiles", CITY_SCHEMA_VERSION, None, mode)


def streamed_identity() -> FileIdentity:
    """Landed stream messages: whatever seed the simulator ran with, they are what arrived."""
    return FileIdentity("air_quality.streamed_measurements", MEASUREMENT_SCHEMA_VERSION, None, "stream")
