"""Resources shared by every family, configured from the environment or from run config.

Environment variables (all optional):

- ``SYNTH_SEED``                 master seed (default 42)
- ``SYNTH_DATA_DIR``             where generated files go (default ``data`` in the working dir)
- ``SYNTH_AIR_QUALITY_MODE``     ``sample`` (10 cities, default) or ``full`` (300 cities)

Each value can also be overridden for a single run in run config, e.g.
``{"resources": {"settings": {"config": {"air_quality_mode": "full"}}}}``.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource
from pydantic import Field, field_validator

DEFAULT_SEED = 42
DEFAULT_DATA_DIR = "data"
AIR_QUALITY_MODES = ("sample", "full")
DUCKDB_FILE_NAME = "synth.duckdb"


class UnknownModeError(ValueError):
    pass


def check_air_quality_mode(mode: str) -> str:
    if mode not in AIR_QUALITY_MODES:
        raise UnknownModeError(
            f"unknown air-quality mode {mode!r}; valid modes: {', '.join(AIR_QUALITY_MODES)} "
            "(set SYNTH_AIR_QUALITY_MODE or resources.settings.config.air_quality_mode)"
        )
    return mode


class SynthSettings(dg.ConfigurableResource):
    """Seed, output directory and per-family modes for one run."""

    seed: int = Field(default=DEFAULT_SEED, ge=0, description="Master seed of every random stream.")
    data_dir: str = Field(default=DEFAULT_DATA_DIR, description="Directory for generated files.")
    air_quality_mode: str = Field(default="sample", description="'sample' (10 cities) or 'full' (300).")

    @field_validator("air_quality_mode")
    @classmethod
    def _known_mode(cls, mode: str) -> str:
        return check_air_quality_mode(mode)

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).resolve()

    @property
    def duckdb_path(self) -> Path:
        return self.data_path / DUCKDB_FILE_NAME

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "SynthSettings":
        env = os.environ if environ is None else environ
        seed_text = env.get("SYNTH_SEED", str(DEFAULT_SEED))
        try:
            seed = int(seed_text)
        except ValueError:
            raise ValueError(f"SYNTH_SEED must be a non-negative integer, got {seed_text!r}") from None
        return cls(
            seed=seed,
            data_dir=env.get("SYNTH_DATA_DIR", DEFAULT_DATA_DIR),
            air_quality_mode=check_air_quality_mode(env.get("SYNTH_AIR_QUALITY_MODE", "sample")),
        )


def duckdb_resource(settings: SynthSettings) -> DuckDBResource:
    settings.data_path.mkdir(parents=True, exist_ok=True)
    return DuckDBResource(database=str(settings.duckdb_path))
