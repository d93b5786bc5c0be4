"""Stream simulator configuration (Pydantic) and the message contract."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from synth_assets.air_quality.models import AirQualityMeasurement

MODES = {"development": {"sensors": 10, "rate": 1.0}, "production": {"sensors": 1000, "rate": 33.0}}
LOST_SHARE = 0.001
"""Share of readings lost to sensor outages. Source: the seed's stream spec ("0.1 % sensor drops"),
read as a loss rate (issue 13 section 3): 0.1 % of readings never arrive."""
OUTAGE_MEAN_READINGS = 4.0
"""Mean length of an outage in the sensor's own readings (geometric): about 40 s in development mode
(a reading per sensor every 10 s) and 2 min in production (every 30 s). An estimate, not a measured
value: no published figure for outage lengths of air-quality sensor feeds was found."""


class StreamConfig(BaseModel):
    """One simulator run. ``rate`` is messages per simulated second; with ``speedup`` the wall-clock
    rate is ``rate * speedup`` (a replay keeps the data's density and plays it faster)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mode: Literal["development", "production"] = "development"
    sensors: int | None = Field(default=None, ge=1, le=100_000)
    rate: float | None = Field(default=None, gt=0, le=1_000_000)
    duration: float | None = Field(default=None, gt=0, description="stop after this many wall seconds")
    count: int | None = Field(default=None, ge=1, description="stop after this many readings")
    seed: int = Field(default=42, ge=0)
    start: AwareDatetime | None = Field(default=None, description="simulated clock start; None = real time")
    speedup: float = Field(default=1.0, gt=0, le=1_000_000)
    drop_rate: float = Field(default=LOST_SHARE, ge=0, le=0.5,
                             description="share of readings lost to sensor outages (long-run; bursts, see faults.py)")
    outage_mean_readings: float = Field(default=OUTAGE_MEAN_READINGS, ge=1, le=100_000,
                                        description="mean outage length, in readings of the sensor that is out")
    duplicate_rate: float = Field(default=0.005, ge=0, le=1)
    malformed_rate: float = Field(default=0.0, ge=0, le=1)

    @model_validator(mode="after")
    def _real_time_is_not_sped_up(self) -> StreamConfig:
        if self.start is None and self.speedup != 1.0:
            raise ValueError("--speedup needs a simulated clock: give --start too")
        return self

    @property
    def sensor_count(self) -> int:
        return self.sensors or MODES[self.mode]["sensors"]

    @property
    def message_rate(self) -> float:
        return self.rate or MODES[self.mode]["rate"]

    @property
    def wall_rate(self) -> float:
        return self.message_rate * self.speedup


class StreamMessage(AirQualityMeasurement):
    """A sensor reading on the wire: the measurement plus delivery metadata."""

    message_id: uuid.UUID
    sensor_id: str = Field(pattern=r"^sensor-\d{5}$")
    is_duplicate: bool
