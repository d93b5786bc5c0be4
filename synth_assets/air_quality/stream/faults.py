"""Failure injection at the seed's rates: sensor drops, duplicates and (optionally) malformed messages.

A drop silences a sensor for an exponentially distributed while (simulated time); every reading of
that sensor meanwhile is lost. A duplicate is the same message sent again right after, flagged
``is_duplicate``. A malformed message breaks the contract in one of three ways and must end up in a
dead-letter table. All decisions come from the readings' own random slots, so they are reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

MALFORMATIONS = ("negative_pm25", "bad_country_code", "missing_timestamp")


@dataclass
class FaultCounts:
    drop_events: int = 0
    dropped: int = 0
    duplicated: int = 0
    malformed: int = 0


@dataclass
class FaultInjector:
    drop_rate: float
    silence_seconds: float
    duplicate_rate: float
    malformed_rate: float
    silent_until: dict[str, np.datetime64] = field(default_factory=dict)
    counts: FaultCounts = field(default_factory=FaultCounts)

    def apply(self, readings: pa.Table, fault_uniforms: np.ndarray) -> list[dict]:
        """The records to send for a batch of readings (in time order), after every fault."""
        drop_u, duplicate_u, malformed_u = fault_uniforms
        sensors = readings["sensor_id"].to_numpy(zero_copy_only=False)
        times = readings["timestamp"].to_numpy().astype("datetime64[us]")
        lost = np.zeros(len(sensors), dtype=bool)
        for sensor, until in list(self.silent_until.items()):  # silences carried over from earlier batches
            lost |= (sensors == sensor) & (times < until)
            if times[-1] >= until:
                del self.silent_until[sensor]
        for i in np.flatnonzero(drop_u < self.drop_rate):  # rare: a loop over drop events, not rows
            if lost[i]:
                continue
            share = drop_u[i] / self.drop_rate  # uniform in (0, 1), reused for the silence length
            until = times[i] + np.timedelta64(int(-self.silence_seconds * np.log(share) * 1e6), "us")
            lost |= (sensors == sensors[i]) & (times >= times[i]) & (times < until)
            self.counts.drop_events += 1
            if until > times[-1]:
                self.silent_until[sensors[i]] = until
        self.counts.dropped += int(lost.sum())
        duplicate = (duplicate_u < self.duplicate_rate) & ~lost
        malformed = (malformed_u < self.malformed_rate) & ~lost
        self.counts.duplicated += int(duplicate.sum())
        self.counts.malformed += int(malformed.sum())

        records = readings.to_pylist()
        out = []
        for i in np.flatnonzero(~lost).tolist():  # the stream is per message by nature
            record = records[i]
            if malformed[i]:
                _malform(record, MALFORMATIONS[int(malformed_u[i] / self.malformed_rate * 3) % 3])
            out.append(record)
            if duplicate[i]:
                out.append({**record, "is_duplicate": True})
        return out


def _malform(record: dict, how: str) -> None:
    if how == "negative_pm25":
        record["pm25"] = -abs(record["pm25"]) - 1.0
    elif how == "bad_country_code":
        record["country_code"] = record["country_code"].lower() + "x"
    else:
        record["timestamp"] = None



