"""The stream loop: paced readings, faults, a sink, totals, and a clean stop on Ctrl-C / SIGTERM.

Reading ``i`` is due at wall time ``i / wall_rate`` after the start; its event time is the real UTC
time or, with a simulated clock, ``start + i / rate``. Readings are produced in small batches of
whatever is due, so throughput is limited by the sink, not by Python per message.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import polars as pl

from synth_assets.air_quality.stream.config import StreamConfig
from synth_assets.air_quality.stream.faults import FaultInjector
from synth_assets.air_quality.stream.messages import build_readings, sensor_table

MAX_BATCH = 5_000
IDLE_SLEEP = 0.02


@dataclass
class Totals:
    readings: int = 0
    sent: int = 0
    lost: int = 0
    outages: int = 0
    duplicated: int = 0
    malformed: int = 0
    dead_lettered: int = 0
    seconds: float = 0.0

    @property
    def achieved_rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0

    @property
    def lost_share(self) -> float:
        """Readings lost to sensor outages, as a share of all readings made."""
        return self.lost / self.readings if self.readings else 0.0

    def summary(self) -> str:
        return (f"readings {self.readings:,}  sent {self.sent:,}  lost {self.lost:,} ({self.lost_share:.3%}, "
                f"{self.outages:,} sensor outages)  duplicated {self.duplicated:,}  malformed {self.malformed:,}  "
                f"dead-lettered {self.dead_lettered:,}  in {self.seconds:.1f} s = {self.achieved_rate:,.1f} msg/s")


def _event_times(config: StreamConfig, first: int, n: int, started_wall: float) -> np.ndarray:
    if config.start is not None:
        start = np.datetime64(config.start.astimezone(timezone.utc).replace(tzinfo=None), "us")
        offsets = ((first + np.arange(n)) / config.message_rate * 1e6).astype(np.int64)
        return start + offsets.astype("timedelta64[us]")
    now = np.datetime64(datetime.now(timezone.utc).replace(tzinfo=None), "us")
    return np.full(n, now)


def run(config: StreamConfig, cities: pl.DataFrame, sink, stop: threading.Event | None = None,
        echo=None) -> Totals:
    """Emit readings into ``sink`` until count/duration is reached or ``stop`` is set; returns totals."""
    stop = stop or threading.Event()
    sensors = sensor_table(cities, config.sensor_count, config.seed)
    faults = FaultInjector(config.drop_rate, config.outage_mean_readings, config.duplicate_rate, config.malformed_rate)
    totals = Totals()
    started = time.monotonic()
    try:
        while not stop.is_set():
            elapsed = time.monotonic() - started
            if config.duration is not None and elapsed >= config.duration:
                break
            due = int(elapsed * config.wall_rate) + 1 - totals.readings
            if config.count is not None:
                due = min(due, config.count - totals.readings)
                if due <= 0 and totals.readings >= config.count:
                    break
            if due <= 0:
                stop.wait(min(IDLE_SLEEP, (totals.readings + 1 - elapsed * config.wall_rate) / config.wall_rate))
                continue
            due = min(due, MAX_BATCH)
            readings, fault_uniforms = build_readings(sensors, config.seed, totals.readings,
                                                      _event_times(config, totals.readings, due, started))
            records = faults.apply(readings, fault_uniforms)
            totals.dead_lettered += sink.write(records) if records else 0
            totals.readings += due
            totals.sent += len(records)
    finally:
        totals.seconds = time.monotonic() - started
        counts = faults.counts
        totals.lost, totals.outages = counts.lost, counts.outages
        totals.duplicated, totals.malformed = counts.duplicated, counts.malformed
        sink.close()
    return totals
