"""The settings of the pattern analysis, written once: the miners and the checks read them. Pure: no Dagster.

Every value is an estimate chosen for home-automation data (no published standard exists for them); the
scoring against the planted rules (``smart_home.correlations``) is what tells whether they are right.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

DISCRETE_DOMAINS = ("binary_sensor", "light", "switch", "lock", "cover", "media_player", "fan", "vacuum",
                    "climate", "person")
"""Entities whose state string is a discrete state (on/off, locked, home...). Numeric sensors report on a
cadence and are summarised per hour instead; device_tracker repeats what its person says."""


class PatternConfig(BaseModel):
    """How patterns are mined from a window of events."""

    model_config = ConfigDict(frozen=True)

    window_days: int = Field(default=28, ge=1, le=366)
    max_lag_seconds: float = Field(default=150.0, gt=0, le=3600)   # B follows A within this (estimate)
    min_support: int = Field(default=4, ge=1)         # occurrences of A followed by B (estimate)
    min_confidence: float = Field(default=0.5, gt=0, le=1)   # share of A followed by B (estimate)
    min_lift: float = Field(default=20.0, gt=1)       # against B's chance within the pair's reach (estimate)
