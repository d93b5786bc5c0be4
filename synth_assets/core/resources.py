"""Resources shared by every family, configured from the environment or from run config.

Environment variables (all optional):

- ``SYNTH_SEED``                 master seed (default 42)
- ``SYNTH_DATA_DIR``             where generated files go (default ``data`` in the working dir); an
                                 ``s3://bucket/prefix`` works too (:mod:`synth_assets.core.object_store`)
- ``SYNTH_AIR_QUALITY_MODE``     ``sample`` (10 cities, default) or ``full`` (300 cities)

Each value can also be overridden for a single run in run config, e.g.
``{"resources": {"settings": {"config": {"air_quality_mode": "full"}}}}``; a value given there
overrides that value only, the others keep coming from the environment (see :mod:`synth_assets.core.env`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar, Self

import dagster as dg
from dagster_duckdb import DuckDBResource
from pydantic import ConfigDict, Field, field_validator, model_validator

from synth_assets.core import object_store
from synth_assets.core.env import FromEnv, parse_int, resolve_from_env
from synth_assets.core.modes import (  # noqa: F401 (UnknownModeError re-exported)
    AIR_QUALITY_MODES,
    UnknownModeError,
    check_air_quality_mode,
)

DEFAULT_SEED = 42
DEFAULT_DATA_DIR = "data"
DUCKDB_FILE_NAME = "synth.duckdb"


def _mode_from_env(text: str) -> str:
    return check_air_quality_mode(text)


SETTINGS_FROM_ENV = (
    FromEnv("seed", "SYNTH_SEED", DEFAULT_SEED, parse_int, "a non-negative integer"),
    FromEnv("data_dir", "SYNTH_DATA_DIR", DEFAULT_DATA_DIR),
    FromEnv("air_quality_mode", "SYNTH_AIR_QUALITY_MODE", "sample", _mode_from_env,
            f"one of {', '.join(AIR_QUALITY_MODES)}"),
)


class EnvSettings(dg.ConfigurableResource):
    """A settings resource whose unset fields come from the environment when the run starts.

    Subclasses list their variables in ``ENV``; see :mod:`synth_assets.core.env`."""

    model_config = ConfigDict(hide_input_in_errors=True)  # an error must not echo a database password
    ENV: ClassVar[tuple[FromEnv, ...]] = ()

    @model_validator(mode="before")
    @classmethod
    def _from_environment(cls, data):
        return resolve_from_env(data, cls.ENV)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        """The settings an empty run config gives, read from ``environ`` (default: the process's)."""
        return cls(**resolve_from_env({}, cls.ENV, environ))


class SynthSettings(EnvSettings):
    """Seed, output directory and per-family modes for one run (unset = from the environment)."""

    ENV: ClassVar[tuple[FromEnv, ...]] = SETTINGS_FROM_ENV

    seed: int | None = Field(default=None, ge=0,
                             description="Master seed of every random stream (unset: SYNTH_SEED, else 42).")
    data_dir: str | None = Field(default=None,
                                 description="Directory for generated files (unset: SYNTH_DATA_DIR, else data).")
    air_quality_mode: str | None = Field(
        default=None, description="'sample' (10 cities) or 'full' (300); unset: SYNTH_AIR_QUALITY_MODE, else sample.")

    @field_validator("air_quality_mode")
    @classmethod
    def _known_mode(cls, mode: str) -> str:
        return check_air_quality_mode(mode)

    @field_validator("data_dir")
    @classmethod
    def _known_location(cls, data_dir: str) -> str:
        if object_store.is_object_url(data_dir):
            object_store.parse_s3_url(data_dir)  # a malformed s3:// URL is refused by name
        return data_dir

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """An S3 data directory without credentials, endpoint or bucket stops the run before any step."""
        if isinstance(self.data_path, object_store.S3Path):
            object_store.check_reachable(self.data_path)

    @property
    def data_path(self) -> object_store.Location:
        """A local absolute path, or an ``S3Path`` for ``s3://bucket/prefix``."""
        return object_store.location(self.data_dir)

    @property
    def duckdb_path(self) -> Path:
        """The DuckDB file: in the data directory, or ``data/`` of the working dir when that is on S3
        (DuckDB writes its database file to local disk only)."""
        if isinstance(self.data_path, object_store.S3Path):
            return Path(DEFAULT_DATA_DIR).resolve() / DUCKDB_FILE_NAME
        return self.data_path / DUCKDB_FILE_NAME



def duckdb_resource(settings: SynthSettings) -> DuckDBResource:
    settings.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    return DuckDBResource(database=str(settings.duckdb_path))
