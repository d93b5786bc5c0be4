"""Failure injection at the seed's rates: sensor outages, duplicates and (optionally) malformed messages.

Outages. The seed's "0.1 % sensor drops" is a loss rate: 0.1 % of readings never arrive. Losses come
in bursts: on each sensor's own sequence of readings, a reading of a working sensor starts an outage
with probability ``p``; the outage loses that reading and the sensor's next readings, ``ℓ`` in all,
with ``ℓ`` geometric on 1, 2, ... with mean ``L``; afterwards the sensor works again (a reading during
an outage starts nothing). Per sensor this is a renewal process: between outages a working run of
mean ``(1 - p) / p`` delivered readings, then ``L`` lost ones, so the long-run lost share is

    s = p·L / (1 - p + p·L)        and, given the share,        p = s / (L·(1 - s) + s).

The configuration names the share ``s`` and the mean length ``L``; :func:`outage_start_probability`
derives ``p``. Lengths count the sensor's readings, not seconds, so the share holds in any mode, at
any rate and on the real-time clock alike.

A duplicate is the same message sent again right after, flagged ``is_duplicate``. A malformed message
breaks the contract in one of three ways and must end up in a dead-letter table. All decisions come
from the readings' own random slots and an outage carries over batch boundaries, so a run is
reproducible whatever its batches.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

MALFORMATIONS = ("negative_pm25", "bad_country_code", "missing_timestamp")


def outage_start_probability(lost_share: float, mean_readings: float) -> float:
    """The chance ``p`` that a working sensor's reading starts an outage, for a long-run ``lost_share``."""
    if not 0 <= lost_share < 1 or mean_readings < 1:
        raise ValueError(f"need 0 <= lost share < 1 and mean outage >= 1 reading; got {lost_share}, {mean_readings}")
    return lost_share / (mean_readings * (1 - lost_share) + lost_share)


def expected_lost_share(start_probability: float, mean_readings: float) -> float:
    """The long-run lost share of the outage process (the inverse of :func:`outage_start_probability`)."""
    p, length = start_probability, mean_readings
    return p * length / (1 - p + p * length) if p else 0.0


def outage_lengths(share_uniforms: np.ndarray, mean_readings: float) -> np.ndarray:
    """Geometric lengths (1, 2, ...; mean ``mean_readings``) from uniforms in (0, 1]."""
    if mean_readings == 1:
        return np.ones(len(share_uniforms), dtype=np.int64)
    return 1 + np.floor(np.log(share_uniforms) / np.log1p(-1 / mean_readings)).astype(np.int64)


@dataclass
class OutageProcess:
    """Which readings are lost, batch after batch; remembers outages that run past a batch's end."""

    lost_share: float
    mean_readings: float
    still_lost: dict = field(default_factory=dict)  # sensor -> readings its current outage still takes
    outages: int = 0
    lost: int = 0

    @property
    def start_probability(self) -> float:
        return outage_start_probability(self.lost_share, self.mean_readings)

    def lost_mask(self, sensors: np.ndarray, drop_u: np.ndarray) -> np.ndarray:
        """The lost readings of a batch (``sensors`` in time order; ``drop_u`` their drop uniforms)."""
        n = len(sensors)
        names, sensor_index = np.unique(sensors, return_inverse=True)
        by_sensor = np.argsort(sensor_index, kind="stable")  # each sensor's readings together, in time order
        counts = np.bincount(sensor_index, minlength=len(names))
        first = np.concatenate(([0], np.cumsum(counts)[:-1]))  # where each sensor's readings start in by_sensor
        rank = np.empty(n, dtype=np.int64)
        rank[by_sensor] = np.arange(n) - np.repeat(first, counts)  # a reading's place among its sensor's
        lost = np.zeros(n, dtype=bool)
        names = names.tolist()
        position = {name: i for i, name in enumerate(names)} if self.still_lost else {}

        def lose(sensor: int, from_rank: int, length: int) -> int:
            """Mark ``length`` readings of ``sensor`` from ``from_rank``; returns how many fall after the batch."""
            end = min(from_rank + length, counts[sensor])
            lost[by_sensor[first[sensor] + from_rank: first[sensor] + end]] = True
            return from_rank + length - end

        for name, left in list(self.still_lost.items()):  # outages carried over from earlier batches
            if name in position:
                left = lose(position[name], 0, left)
                if left:
                    self.still_lost[name] = left
                else:
                    del self.still_lost[name]
        p = self.start_probability
        starts = np.flatnonzero(drop_u < p)  # rare: a loop over outages, not rows
        lengths = outage_lengths(1 - drop_u[starts] / p, self.mean_readings)  # given a start, u / p is uniform
        for i, length in zip(starts.tolist(), lengths.tolist()):
            if lost[i]:  # a sensor that is already out starts no outage
                continue
            self.outages += 1
            left = lose(int(sensor_index[i]), int(rank[i]), length)
            if left:
                self.still_lost[names[sensor_index[i]]] = left
        self.lost += int(lost.sum())
        return lost


@dataclass
class FaultCounts:
    outages: int = 0
    lost: int = 0
    duplicated: int = 0
    malformed: int = 0


@dataclass
class FaultInjector:
    lost_share: float
    outage_mean_readings: float
    duplicate_rate: float
    malformed_rate: float
    counts: FaultCounts = field(default_factory=FaultCounts)

    def __post_init__(self) -> None:
        self.outages = OutageProcess(self.lost_share, self.outage_mean_readings)

    def apply(self, readings: pa.Table, fault_uniforms: np.ndarray) -> list[dict]:
        """The records to send for a batch of readings (in time order), after every fault."""
        drop_u, duplicate_u, malformed_u = fault_uniforms
        lost = self.outages.lost_mask(readings["sensor_id"].to_numpy(zero_copy_only=False), drop_u)
        self.counts.outages, self.counts.lost = self.outages.outages, self.outages.lost
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
